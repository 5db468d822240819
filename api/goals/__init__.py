"""/goals: the caller's goals, their status changes and stats (domain.md §3.1, §5)."""
