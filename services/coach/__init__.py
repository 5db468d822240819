"""The AI coach: a turn's context, tools and model loop, shared by the worker and the streaming route."""
