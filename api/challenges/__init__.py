"""/challenges: create, list, join, invite (docs/domain.md §3.6, §5)."""
