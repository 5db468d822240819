"""/challenges/{id} check-ins and leaderboard: the scoring side of challenges (docs/domain.md §3.6, §5)."""
