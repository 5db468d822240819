"""The process's model client, built from settings (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL and
the OPENAI_* limits; docs/operations.md "AI texts").

Without a key nothing calls out: every text is a template. With one, `OpenAiTextModel` asks the official
SDK (its own retries off) and owns the retry policy, because every wait must fit in the prompt's
deadline and every attempt must pass the shared budget and be counted. It never raises for model or
Redis trouble: None sends the feature to its template.

`complete` is one system + one user message, answered by text; `converse` (the coach) sends a whole
conversation, may offer tools and may stream. Both go through the same `_run`: one deadline, the
concurrency cap, the budget per attempt, the retries and the per-feature counters.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

import httpx
import redis.asyncio as aioredis
from openai import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    AsyncStream,
    omit,
)
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
)
from redis.exceptions import RedisError

from services.ai.budget import CallBudget
from services.ai.model import (
    NO_MODEL,
    AiFeature,
    ChatMessage,
    ChatPrompt,
    Conversation,
    DeltaSink,
    ModelReply,
    TextModel,
    ToolCall,
    ToolSpec,
)
from services.ai.retry import backoff_seconds, retry_after_seconds, retryable_status
from services.ai.usage import Outcome, UsageCounters
from settings import Settings

__all__ = ["OpenAiTextModel", "build_text_model"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def build_text_model(settings: Settings, redis: aioredis.Redis) -> TextModel:
    if not settings.openai_api_key:
        return NO_MODEL
    return OpenAiTextModel(settings, redis)


class _GiveUp(Exception):
    """No (further) attempt can help: the outcome is counted, the answer is None."""


class OpenAiTextModel:
    def __init__(self, settings: Settings, redis: aioredis.Redis) -> None:
        self._settings = settings
        self._client = AsyncOpenAI(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            max_retries=0,
            timeout=settings.openai_attempt_timeout_seconds,
        )
        self._budget = CallBudget(redis, settings.redis_key_prefix, settings.openai_calls_per_minute)
        self._usage = UsageCounters(redis, settings.redis_key_prefix)
        self._slots = asyncio.Semaphore(settings.openai_max_concurrency)
        self._rng = random.Random()

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(self, prompt: ChatPrompt) -> str | None:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]

        async def attempt(attempt_seconds: float, counts: Counter[str], stream: _StreamState) -> str | None:
            completion = await self._client.chat.completions.create(
                model=self._settings.openai_model,
                messages=messages,
                temperature=prompt.temperature,
                max_completion_tokens=prompt.max_tokens,
                response_format={"type": "json_object"} if prompt.json_output else omit,
                timeout=attempt_seconds,
            )
            reply = _reply_of(completion, counts)
            return reply.content if reply is not None else None

        return await self._run(prompt.feature, prompt.deadline_seconds, attempt)

    async def converse(
        self, conversation: Conversation, on_delta: DeltaSink | None = None
    ) -> ModelReply | None:
        request: dict[str, Any] = {
            "model": self._settings.openai_model,
            "messages": [_message_param(message) for message in conversation.messages],
            "temperature": conversation.temperature,
            "max_completion_tokens": conversation.max_tokens,
        }
        if conversation.tools:
            request["tools"] = [_tool_param(tool) for tool in conversation.tools]
            request["tool_choice"] = "auto"

        async def attempt(
            attempt_seconds: float, counts: Counter[str], stream: _StreamState
        ) -> ModelReply | None:
            if on_delta is None:
                completion = await self._client.chat.completions.create(**request, timeout=attempt_seconds)
                return _reply_of(completion, counts)
            chunks = await self._client.chat.completions.create(
                **request, stream=True, stream_options={"include_usage": True}, timeout=attempt_seconds
            )
            # Closed however the reading ends, so a broken or abandoned stream frees its connection.
            async with chunks:
                return await _read_stream(chunks, counts, stream, on_delta)

        return await self._run(conversation.feature, conversation.deadline_seconds, attempt)

    async def _run(
        self, feature: AiFeature, deadline_seconds: float | None, attempt: _Attempt[T]
    ) -> T | None:
        counts: Counter[str] = Counter(calls=1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (deadline_seconds or self._settings.openai_timeout_seconds)
        answer: T | None = None
        try:
            # The deadline covers everything: the wait for a slot, every attempt and every pause.
            async with asyncio.timeout_at(deadline), self._slots:
                answer = await self._attempts(attempt, counts, deadline)
        except TimeoutError:
            counts[Outcome.TIMEOUT] += 1
        except _GiveUp:
            pass
        except Exception:
            # An SDK or transport failure of a kind not foreseen above: still a template, never a lost
            # notice; logged in full because it is a bug to look at.
            logger.exception("AI text for %s failed unexpectedly", feature)
            counts[Outcome.UNEXPECTED_ERROR] += 1
        if answer is None:
            counts["fallbacks"] += 1
        await self._usage.add(feature, counts)
        return answer

    async def _attempts(self, attempt: _Attempt[T], counts: Counter[str], deadline: float) -> T | None:
        loop = asyncio.get_running_loop()
        number = 0
        stream = _StreamState()
        while True:
            number += 1
            await self._spend_budget(counts)
            # Never zero or less (httpx would refuse it): the deadline's own timeout ends the call then.
            timeout = max(0.001, min(self._settings.openai_attempt_timeout_seconds, deadline - loop.time()))
            try:
                return await attempt(timeout, counts, stream)
            except (APIError, httpx.TransportError) as error:
                outcome, retryable, server_wait = _classify(error)
                counts[outcome] += 1
                # Text already handed on cannot be taken back: a second attempt would repeat it.
                if not retryable or stream.started or number >= self._settings.openai_max_attempts:
                    raise _GiveUp from error
            wait = server_wait if server_wait is not None else backoff_seconds(number, self._rng)
            if wait >= deadline - loop.time():
                # Waiting out the server's Retry-After would overrun the deadline: the template now
                # is better than the template later.
                raise _GiveUp
            await asyncio.sleep(wait)

    async def _spend_budget(self, counts: Counter[str]) -> None:
        try:
            allowed = await self._budget.take()
        except RedisError:
            # Without the shared count nothing bounds the spending: templates until Redis is back.
            logger.warning("AI call budget unreadable; using templates", exc_info=True)
            raise _GiveUp from None
        if not allowed:
            counts[Outcome.BUDGET_EXHAUSTED] += 1
            raise _GiveUp


class _StreamState:
    """Whether a streamed attempt has handed any text on (then it cannot be retried)."""

    def __init__(self) -> None:
        self.started = False


class _Attempt(Protocol[T_co]):
    async def __call__(
        self, attempt_seconds: float, counts: Counter[str], stream: _StreamState
    ) -> T_co | None: ...


def _message_param(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "tool":
        return {"role": "tool", "content": message.content or "", "tool_call_id": message.tool_call_id or ""}
    if message.role == "assistant":
        param: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            param["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in message.tool_calls
            ]
        return cast(ChatCompletionMessageParam, param)
    return cast(ChatCompletionMessageParam, {"role": message.role, "content": message.content or ""})


def _tool_param(tool: ToolSpec) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)},
    }


def _count_tokens(usage: object, counts: Counter[str]) -> tuple[int, int]:
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    prompt_tokens = prompt if isinstance(prompt, int) else 0
    completion_tokens = completion if isinstance(completion, int) else 0
    counts["prompt_tokens"] += prompt_tokens
    counts["completion_tokens"] += completion_tokens
    return prompt_tokens, completion_tokens


def _reply_of(completion: object, counts: Counter[str]) -> ModelReply | None:
    # The SDK validates leniently: a proxy's HTML page comes back as a str, a stranger's JSON as a
    # ChatCompletion of Nones. So every step is checked.
    if not isinstance(completion, ChatCompletion) or not completion.choices:
        counts[Outcome.BAD_RESPONSE] += 1
        return None
    counts[Outcome.OK] += 1
    prompt_tokens, completion_tokens = _count_tokens(completion.usage, counts)
    message = completion.choices[0].message
    content = message.content if message is not None else None
    text = content.strip() if isinstance(content, str) else ""
    calls = tuple(
        ToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
        for call in (message.tool_calls or () if message is not None else ())
        if isinstance(call, ChatCompletionMessageFunctionToolCall)
    )
    if not text and not calls:
        counts["empty"] += 1
        return None
    return ModelReply(text, calls, prompt_tokens, completion_tokens)


async def _read_stream(
    chunks: AsyncStream[ChatCompletionChunk],
    counts: Counter[str],
    stream: _StreamState,
    on_delta: DeltaSink,
) -> ModelReply | None:
    """Hand each piece of text on as it comes; gather the tool calls' fragments by their index."""
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    prompt_tokens = completion_tokens = 0
    async for chunk in chunks:
        if chunk.usage is not None:
            prompt_tokens, completion_tokens = _count_tokens(chunk.usage, counts)
        for choice in chunk.choices[:1]:
            delta = choice.delta
            for fragment in delta.tool_calls or ():
                call = calls.setdefault(fragment.index, {"id": "", "name": "", "arguments": ""})
                call["id"] = fragment.id or call["id"]
                if fragment.function is not None:
                    call["name"] += fragment.function.name or ""
                    call["arguments"] += fragment.function.arguments or ""
            if delta.content:
                stream.started = True
                text.append(delta.content)
                await on_delta(delta.content)
    counts[Outcome.OK] += 1
    content = "".join(text).strip()
    tool_calls = tuple(ToolCall(**calls[index]) for index in sorted(calls))
    if not content and not tool_calls:
        counts["empty"] += 1
        return None
    return ModelReply(content, tool_calls, prompt_tokens, completion_tokens)


def _classify(error: APIError | httpx.TransportError) -> tuple[Outcome, bool, float | None]:
    """(what to count, whether another attempt may help, the server's own wait if it named one)."""
    if isinstance(error, httpx.TransportError):  # a stream broken while being read
        return (
            (Outcome.TIMEOUT if isinstance(error, httpx.TimeoutException) else Outcome.CONNECTION_ERROR),
            True,
            None,
        )
    if isinstance(error, APIStatusError):
        return (
            _status_outcome(error.status_code),
            _worth_retrying(error),
            retry_after_seconds(error.response.headers, now=datetime.now(UTC)),
        )
    if isinstance(error, APIConnectionError):  # APITimeoutError is one
        timed_out = isinstance(error, APITimeoutError)
        return (Outcome.TIMEOUT if timed_out else Outcome.CONNECTION_ERROR), True, None
    return Outcome.BAD_RESPONSE, False, None  # e.g. a body the SDK could not read


def _status_outcome(status: int) -> Outcome:
    if status == 429:
        return Outcome.RATE_LIMITED
    if status >= 500:
        return Outcome.SERVER_ERROR
    return Outcome.CLIENT_ERROR


def _worth_retrying(error: APIStatusError) -> bool:
    # A 429 for an exhausted quota (not a rate) stays a 429 however long one waits.
    return retryable_status(error.status_code) and getattr(error, "code", None) != "insufficient_quota"
