"""Goal insights: GET /goals/{id}/insights and its refresh (client-behaviour §6.2)."""
