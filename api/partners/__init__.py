"""/partners: accountability partners, requests, blocks, reports, search, suggestions and the partner
dashboard (docs/domain.md §3.4, §5)."""
