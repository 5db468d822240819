"""What a feature asks of the language model, and the one answer it gets back: the text, or None.

Every feature (reminders, check-in replies, daily motivation, weekly recaps, goal insights, the coach)
builds a `ChatPrompt` and awaits `TextModel.complete`. None means "use your template": no model is
configured, the shared budget is spent, or every bounded attempt failed. Validating the text (length,
JSON shape, emoji) is the feature's job, against its own rules in domain/; a text that fails validation
falls back to the template too, so a notice is never lost to the model (docs/domain.md §3.12).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol

__all__ = [
    "NO_MODEL",
    "AiFeature",
    "ChatMessage",
    "ChatPrompt",
    "Conversation",
    "DeltaSink",
    "ModelReply",
    "NoModel",
    "TextModel",
    "ToolCall",
    "ToolSpec",
]


class AiFeature(StrEnum):
    """Who asked: tokens and calls are counted per feature."""

    REMINDER = "reminder"
    CHECKIN_REPLY = "checkin_reply"
    DAILY_MOTIVATION = "daily_motivation"
    WEEKLY_RECAP = "weekly_recap"
    GOAL_INSIGHTS = "goal_insights"
    COACH = "coach"


@dataclass(frozen=True, slots=True)
class ChatPrompt:
    feature: AiFeature
    system: str
    user: str
    temperature: float
    max_tokens: int
    # Ask for one JSON object (response_format json_object); the text returned is still unparsed.
    json_output: bool = False
    # Seconds the whole call may take, retries included; None = the client's default.
    deadline_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call: its name, what it is for, and its parameters' JSON schema."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for. `arguments` is the JSON text exactly as the model wrote it: it may be
    malformed or name no tool offered, so the feature validates it before running anything."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str | None
    # An assistant turn that asked for tools carries its calls; a tool turn answers one by its id.
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A multi-message request, optionally offering tools (tool_choice auto)."""

    feature: AiFeature
    messages: Sequence[ChatMessage]
    temperature: float
    max_tokens: int
    tools: Sequence[ToolSpec] = ()
    deadline_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ModelReply:
    """One answer: text, tool calls, or both; the tokens as the model counted them."""

    content: str
    tool_calls: tuple[ToolCall, ...]
    prompt_tokens: int
    completion_tokens: int


# Where a streamed answer's text goes as it arrives (each piece once, in order).
DeltaSink = Callable[[str], Awaitable[None]]


class TextModel(Protocol):
    async def complete(self, prompt: ChatPrompt) -> str | None:
        """The model's text, or None: the caller then uses its template."""
        ...

    async def converse(
        self, conversation: Conversation, on_delta: DeltaSink | None = None
    ) -> ModelReply | None:
        """The model's answer to `conversation`, or None (no model, budget spent, every attempt failed,
        or the deadline passed). With `on_delta` the answer is streamed: each piece of text is handed to
        it as it arrives, and a stream that broke after its first piece is not retried (None)."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP connections (process shutdown)."""
        ...


class NoModel:
    """No model configured (no OPENAI_API_KEY): nothing calls out, every text is a template."""

    async def complete(self, prompt: ChatPrompt) -> str | None:
        return None

    async def converse(
        self, conversation: Conversation, on_delta: DeltaSink | None = None
    ) -> ModelReply | None:
        return None

    async def aclose(self) -> None:
        return None


NO_MODEL = NoModel()
