"""/recaps: the caller's weekly recaps (docs/domain.md §2.7, §3.12; client-behaviour §6.1)."""
