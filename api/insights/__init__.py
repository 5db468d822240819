"""Goal insights: GET /goals/{id}/insights and its refresh (docs/domain.md §3.14)."""
