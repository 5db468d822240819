"""POST /ai-coach/chat: the coach's turn streamed as server-sent events (client-behaviour §7.3).

The message is accepted exactly as by /chat/async (services/coach/accept.accept_turn: checks, quota,
conversation, the pending message, the badges, the `coach.reply` message) and, in the same
transaction, claimed for this request (services/coach/reply.claim_turn), so the worker that receives
`coach.reply` finds a live claim and leaves the turn to this process. After the commit the turn runs in
a task of its own, which hands each piece of the model's text to the response as it arrives:

    data: {"type": "start", "conversation_id": "…"}
    data: {"type": "chunk", "content": "…"}            (as many as the model writes)
    data: {"type": "end", "full_response": "…", "tokens_used": 123, "conversation_id": "…",
           "message_id": "…"}                          (message_id: the stored assistant message)
    data: {"type": "error", "message": "…", "conversation_id": "…"}   (instead of end)

A client that disconnects mid-stream only stops the response: the task is not the request's, so it
goes on, stores the reply, and the next GET of the conversation shows it. Should the web process die
mid-turn, the claim's lease runs out and the coach sweeper re-drives the message to a worker.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK

from api.ai_coach.schemas import ChatIn
from api.auth.request import AuthRequest
from api.resources import AppResources, app_resources
from domain.coach import FALLBACK_REPLY
from services.ai.model import DeltaSink
from services.coach.accept import accept_turn
from services.coach.reply import (
    ClaimedTurn,
    TurnOutcome,
    TurnResult,
    claim_turn,
    finish_turn,
)

logger = logging.getLogger(__name__)

NOT_HERE: Final = "Your reply is on its way; open the conversation again in a moment."
FAILED: Final = "Something went wrong while writing your reply."

# The turns this process is streaming: held here so none is garbage-collected while the client that
# asked for it is gone.
_TURNS: set[asyncio.Task[None]] = set()


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def _closing_event(result: TurnResult | None, conversation_id: UUID) -> dict[str, Any]:
    if result is not None and result.outcome is TurnOutcome.ANSWERED:
        return {
            "type": "end",
            "full_response": result.content,
            "tokens_used": result.tokens_used,
            "conversation_id": str(conversation_id),
            "message_id": str(result.reply_id),
        }
    if result is not None and result.outcome is TurnOutcome.FALLBACK:
        # Stored as the conversation's reply; the pieces streamed before it (if any) were not.
        message = FALLBACK_REPLY
    elif result is None:
        message = FAILED
    else:
        message = NOT_HERE
    error: dict[str, Any] = {"type": "error", "message": message, "conversation_id": str(conversation_id)}
    if result is not None and result.reply_id is not None:
        error["message_id"] = str(result.reply_id)
    return error


def _start_turn(resources: AppResources, turn: ClaimedTurn) -> asyncio.Queue[str | TurnResult | None]:
    """Run the turn detached from the request; its pieces, then its result (None: it broke), go to the
    queue."""
    pieces: asyncio.Queue[str | TurnResult | None] = asyncio.Queue()

    async def run() -> None:
        result: TurnResult | None = None
        try:
            result = await finish_turn(
                resources.database,
                resources.ai,
                resources.settings,
                turn,
                clock=lambda: datetime.now(UTC),
                on_delta=_put(pieces),
            )
        except Exception:
            # The message stays pending under this claim: the sweeper re-drives it after the lease.
            logger.exception("streamed coach turn for message %s failed", turn.message.id)
        finally:
            pieces.put_nowait(result)

    task = asyncio.create_task(run())
    _TURNS.add(task)
    task.add_done_callback(_TURNS.discard)
    return pieces


def _put(pieces: asyncio.Queue[str | TurnResult | None]) -> DeltaSink:
    async def put(piece: str) -> None:
        pieces.put_nowait(piece)

    return put


async def _events(
    conversation_id: UUID, pieces: asyncio.Queue[str | TurnResult | None] | None
) -> AsyncIterator[bytes]:
    yield _event({"type": "start", "conversation_id": str(conversation_id)})
    if pieces is None:  # another run holds the turn (a retry of a message already on its way)
        yield _event(_closing_event(TurnResult(TurnOutcome.NOT_CLAIMED), conversation_id))
        return
    while True:
        item = await pieces.get()
        if isinstance(item, str):
            yield _event({"type": "chunk", "content": item})
            continue
        yield _event(_closing_event(item, conversation_id))
        return


class AICoachStreamController(Controller):
    path = "/ai-coach"
    tags = ["ai-coach"]

    @post("/chat", status_code=HTTP_200_OK)
    async def chat(
        self, request: AuthRequest, data: JSONBody[ChatIn], now: NamedDependency[datetime]
    ) -> Stream:
        """The turn of /chat/async, its reply streamed as server-sent events (`text/event-stream`)."""
        resources = app_resources(request.app)
        turn_request = data.turn()
        # Checks and quota answer 4xx here, before anything is streamed; the claim commits with the
        # message, so no worker can take it in between.
        async with resources.database.transaction() as tx:
            accepted = await accept_turn(tx, request.user.id, turn_request, now=now)
            turn = await claim_turn(tx.connection, accepted.message_id, resources.settings, now=now)
        pieces = None if turn is None else _start_turn(resources, turn)
        return Stream(
            _events(accepted.conversation_id, pieces),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
