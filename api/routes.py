"""Every resource's controllers under /api/v1. One line per resource; keep it sorted."""

from __future__ import annotations

from litestar import Router
from litestar.types import ControllerRouterHandler

API_PREFIX = "/api/v1"

RESOURCE_HANDLERS: list[ControllerRouterHandler] = []


def api_router() -> Router:
    return Router(path=API_PREFIX, route_handlers=RESOURCE_HANDLERS)
