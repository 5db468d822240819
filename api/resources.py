"""What a web process holds for its lifetime: the database, Redis and the broker it sends through."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from litestar import Litestar

from api.auth.access_states import AccessStates
from api.auth.activity import ActivityRecorder
from db.unit_of_work import Database
from settings import Settings
from workers.enqueue import Enqueuer


@dataclass(slots=True)
class AppResources:
    settings: Settings
    database: Database
    redis: aioredis.Redis
    enqueuer: Enqueuer
    activity: ActivityRecorder
    access_states: AccessStates


def app_resources(app: Litestar) -> AppResources:
    resources: AppResources = app.state.resources
    return resources
