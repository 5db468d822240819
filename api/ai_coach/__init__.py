"""/ai-coach routes: the AI coach's conversations, limits and turns (docs/coach.md)."""
