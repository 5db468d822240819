"""/daily-motivations (docs client-behaviour §5): today's motivation, the list, one row, share, regenerate."""
