"""/achievements: the badge catalogue, the caller's unlocks and totals (docs/domain.md §3.7, §5)."""
