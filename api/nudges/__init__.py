"""/nudges: nudges and cheers between accepted partners (docs/domain.md §3.5, §5)."""
