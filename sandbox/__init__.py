"""Local servers that speak real external protocols, for development and tests only (see README.md)."""
