"""checkins.write_reply: the AI reply to a premium user's check-in (§3.12), after the answer committed.

The answer stored the template reply; this reads the answer (one statement), asks the model with no
transaction or connection held, and replaces the template in one UPDATE guarded by the answer's
responded_at, so a reply never lands on a row answered again since. No text, or one that breaks the
rules (empty, too long, more than two emoji), keeps the template. Model trouble is not an error
(the client returns None), so Dramatiq retries only database failures.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from db.checkin_replies import answered_checkin, replace_reply
from services.addresses import CHECKIN_REPLY
from services.ai.checkin_reply import write_checkin_reply
from services.ai.model import TextModel
from services.transaction import Database
from workers.actor import house_actor
from workers.periodic_jobs import run_logged, worker_job_context


class ReplyOutcome(StrEnum):
    WRITTEN = "written"
    TEMPLATE_KEPT = "template_kept"  # no text from the model, or one against the rules
    ANSWER_CHANGED = "answer_changed"  # the row holds another answer now (or is gone)


async def write_reply(
    database: Database,
    model: TextModel,
    *,
    checkin_id: UUID,
    user_id: UUID,
    responded_at: datetime,
    streak: int,
) -> ReplyOutcome:
    """Replace the template reply of the answer given at `responded_at` with the model's, if any."""
    async with database.single_statement() as connection:
        checkin = await answered_checkin(
            connection, checkin_id=checkin_id, user_id=user_id, responded_at=responded_at, streak=streak
        )
    if checkin is None:
        return ReplyOutcome.ANSWER_CHANGED
    reply = await write_checkin_reply(model, checkin)
    if reply is None:
        return ReplyOutcome.TEMPLATE_KEPT
    async with database.single_statement() as connection:
        replaced = await replace_reply(
            connection, checkin_id=checkin_id, user_id=user_id, responded_at=responded_at, reply=reply
        )
    return ReplyOutcome.WRITTEN if replaced else ReplyOutcome.ANSWER_CHANGED


@house_actor(CHECKIN_REPLY.actor_name, queue=CHECKIN_REPLY.queue_name, max_retries=2, time_limit_ms=60_000)
async def write_reply_actor(checkin_id: str, user_id: str, responded_at: str, streak: int) -> None:
    context = worker_job_context()

    async def run() -> dict[str, int]:
        outcome = await write_reply(
            context.database,
            context.ai,
            checkin_id=UUID(checkin_id),
            user_id=UUID(user_id),
            responded_at=datetime.fromisoformat(responded_at),
            streak=streak,
        )
        return {outcome.value: 1}

    await run_logged(CHECKIN_REPLY.actor_name, run)
