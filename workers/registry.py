"""Every actor module, imported once: the entry point of `dramatiq` (worker) and `periodiq` (scheduler)."""

from workers import heartbeat

__all__ = ["heartbeat"]
