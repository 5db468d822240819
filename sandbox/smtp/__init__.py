"""A local SMTP sink with an HTTP view of what it received (see README.md)."""
