"""What a web process holds for its lifetime: the database (it sends messages after commit), Redis and
the providers' ID-token key caches."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from litestar import Litestar

from api.auth.access_states import AccessStates
from api.auth.activity import ActivityRecorder
from api.auth.id_tokens import IdentityProvider, IdTokenVerifier
from api.auth.nonces import NonceLedger
from api.blog.views import BlogViews
from services.ai.model import TextModel
from services.product_events import ProductEvents
from services.read_replica import ReplicaReads
from services.transaction import Database
from settings import Settings


@dataclass(slots=True)
class AppResources:
    settings: Settings
    database: Database
    redis: aioredis.Redis
    activity: ActivityRecorder
    blog_views: BlogViews
    access_states: AccessStates
    id_tokens: dict[IdentityProvider, IdTokenVerifier]
    nonces: NonceLedger
    ai: TextModel
    product_events: ProductEvents
    # Only with DATABASE_REPLICA_URL (api/transaction.py chooses).
    replica: ReplicaReads | None = None


def app_resources(app: Litestar) -> AppResources:
    resources: AppResources = app.state.resources
    return resources
