"""/goals: the caller's goals, their status changes and stats (docs/domain.md §3.1, §5)."""
