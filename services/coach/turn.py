"""The model side of one coach turn: the tool loop (client-behaviour §7.4) and the title (§7.3).

The model gets the system prompt (persona and facts) and the conversation's newest messages, the
user's words only ever as user messages. It may call tools for at most MAX_TOOL_ROUNDS rounds (at most
MAX_CALLS_PER_ROUND calls each); then it is asked once more with no tools offered, so it must answer.
Each round's tools run in one short read-only transaction; no connection is held while the model
thinks. Every call shares one deadline; None when no reply came within it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

from db.coach_turns import HistoryMessage
from domain.coach import (
    MAX_TOKENS,
    MAX_TOOL_ROUNDS,
    TEMPERATURE,
    TITLE_MAX_TOKENS,
    TITLE_TEMPERATURE,
    accepted_title,
    title_prompt,
)
from services.ai.model import AiFeature, ChatMessage, ChatPrompt, Conversation, DeltaSink, TextModel, ToolCall
from services.coach.tools import TOOLS, ToolCaller, ToolResult, run_tool
from services.transaction import Database

__all__ = ["MAX_CALLS_PER_ROUND", "CoachReply", "write_reply", "write_title"]

MAX_CALLS_PER_ROUND: Final = 3
TOO_MANY_CALLS: Final = '{"error": "too many tool calls in one answer; ask again for fewer"}'


@dataclass(slots=True)
class CoachReply:
    content: str
    tokens_used: int
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def _message(past: HistoryMessage) -> ChatMessage:
    return ChatMessage("assistant" if past.role == "assistant" else "user", past.content)


async def _run_round(database: Database, caller: ToolCaller, calls: tuple[ToolCall, ...]) -> list[ToolResult]:
    allowed, refused = calls[:MAX_CALLS_PER_ROUND], calls[MAX_CALLS_PER_ROUND:]
    async with database.transaction() as tx:
        # Bounded by MAX_CALLS_PER_ROUND: each call is one tool's own bounded read.
        results = [await run_tool(tx.connection, caller, call) for call in allowed]
    refusals = [
        ToolResult(TOO_MANY_CALLS, {"name": call.name[:60], "error": "too many calls"}) for call in refused
    ]
    return results + refusals


async def write_reply(
    model: TextModel,
    database: Database,
    caller: ToolCaller,
    *,
    system: str,
    history: list[HistoryMessage],
    deadline: float,
    on_delta: DeltaSink | None = None,
) -> CoachReply | None:
    """The coach's answer to the newest user message, or None when none came before `deadline`
    (the event loop's clock)."""
    loop = asyncio.get_running_loop()
    messages = [ChatMessage("system", system), *(_message(past) for past in history)]
    reply = CoachReply(content="", tokens_used=0)
    for round_number in range(MAX_TOOL_ROUNDS + 1):
        remaining = deadline - loop.time()
        if remaining <= 0:
            return None
        answer = await model.converse(
            Conversation(
                AiFeature.COACH,
                messages,
                temperature=TEMPERATURE,
                max_tokens=MAX_TOKENS,
                tools=TOOLS if round_number < MAX_TOOL_ROUNDS else (),
                deadline_seconds=remaining,
            ),
            on_delta,
        )
        if answer is None:
            return None
        reply.tokens_used += answer.prompt_tokens + answer.completion_tokens
        if not answer.tool_calls:
            reply.content = answer.content
            return reply if answer.content else None
        results = await _run_round(database, caller, answer.tool_calls)
        reply.tool_calls.extend(result.record for result in results)
        messages.append(ChatMessage("assistant", answer.content or None, tool_calls=answer.tool_calls))
        messages.extend(
            ChatMessage("tool", result.content, tool_call_id=call.id)
            for call, result in zip(answer.tool_calls, results, strict=True)
        )
    return None


async def write_title(model: TextModel, first_message: str, *, deadline_seconds: float) -> str | None:
    """The model's title for a new conversation (≤ 5 words, ≤ 50 characters), or None."""
    text = await model.complete(
        ChatPrompt(
            AiFeature.COACH,
            system=title_prompt(),
            user=first_message,
            temperature=TITLE_TEMPERATURE,
            max_tokens=TITLE_MAX_TOKENS,
            deadline_seconds=deadline_seconds,
        )
    )
    return accepted_title(text)
