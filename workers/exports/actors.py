"""The export actors. Thin: each calls a plain function that tests call directly."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from uuid import UUID

from services.addresses import EXPORTS_BUILD, EXPORTS_QUEUE
from workers.actor import house_actor
from workers.exports.build import build_export
from workers.exports.tidy import tidy_exports
from workers.periodic_jobs import JobContext, periodic_job
from workers.resources import WorkerResources


# A failed build raises and Dramatiq retries it (from scratch: build_export is idempotent); past
# that, exports.tidy re-enqueues it or marks it failed.
@house_actor(EXPORTS_BUILD.actor_name, queue=EXPORTS_QUEUE, time_limit_ms=300_000)
async def build(export_id: str) -> None:
    resources = WorkerResources.current()
    await build_export(resources.database, resources.settings, UUID(export_id), now=datetime.now(UTC))


@periodic_job("exports.tidy", "*/10 * * * *", queue=EXPORTS_QUEUE)
async def tidy(context: JobContext, now: datetime) -> Mapping[str, int]:
    """Re-enqueue lost builds, fail those past their attempts, delete exports whose links expired."""
    report = await tidy_exports(context.database, now=now)
    return {"enqueued": report.enqueued, "failed": report.failed, "deleted": report.deleted}
