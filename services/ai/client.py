"""The process's model client, built from settings (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL and
the OPENAI_* limits; docs/operations.md "AI texts").

Without a key nothing calls out: every text is a template. With one, `OpenAiTextModel` asks the official
SDK (its own retries off) and owns the retry policy, because every wait must fit in the prompt's
deadline and every attempt must pass the shared budget and be counted. It never raises for model or
Redis trouble: None sends the feature to its template.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter

import redis.asyncio as aioredis
from openai import APIConnectionError, APIStatusError, APITimeoutError, AsyncOpenAI, omit
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from redis.exceptions import RedisError

from services.ai.budget import CallBudget
from services.ai.model import NO_MODEL, ChatPrompt, TextModel
from services.ai.retry import backoff_seconds, retry_after_seconds, retryable_status
from services.ai.usage import Outcome, UsageCounters
from settings import Settings

__all__ = ["OpenAiTextModel", "build_text_model"]

logger = logging.getLogger(__name__)


def build_text_model(settings: Settings, redis: aioredis.Redis) -> TextModel:
    if not settings.openai_api_key:
        return NO_MODEL
    return OpenAiTextModel(settings, redis)


class _GiveUp(Exception):
    """No (further) attempt can help: the outcome is counted, the answer is None."""


class OpenAiTextModel:
    def __init__(self, settings: Settings, redis: aioredis.Redis, rng: random.Random | None = None) -> None:
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
        self._rng = rng or random.Random()

    async def aclose(self) -> None:
        await self._client.close()

    async def complete(self, prompt: ChatPrompt) -> str | None:
        counts: Counter[str] = Counter(calls=1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (prompt.deadline_seconds or self._settings.openai_timeout_seconds)
        text: str | None = None
        try:
            # The deadline covers everything: the wait for a slot, every attempt and every pause.
            async with asyncio.timeout_at(deadline), self._slots:
                text = await self._attempts(prompt, counts, deadline)
        except TimeoutError:
            counts[Outcome.TIMEOUT] += 1
        except _GiveUp:
            pass
        if text is None:
            counts["fallbacks"] += 1
        await self._usage.add(prompt.feature, counts)
        return text

    async def _attempts(self, prompt: ChatPrompt, counts: Counter[str], deadline: float) -> str | None:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            attempt += 1
            await self._spend_budget(counts)
            try:
                completion = await self._request(prompt, deadline - loop.time())
            except APIStatusError as error:
                outcome = _status_outcome(error.status_code)
                counts[outcome] += 1
                if not _worth_retrying(error) or attempt >= self._settings.openai_max_attempts:
                    raise _GiveUp from error
                wait = retry_after_seconds(error.response.headers)
                if wait is None:
                    wait = backoff_seconds(attempt, self._rng)
            except APITimeoutError:  # a subclass of APIConnectionError: caught first
                counts[Outcome.TIMEOUT] += 1
                if attempt >= self._settings.openai_max_attempts:
                    raise _GiveUp from None
                wait = backoff_seconds(attempt, self._rng)
            except APIConnectionError:
                counts[Outcome.CONNECTION_ERROR] += 1
                if attempt >= self._settings.openai_max_attempts:
                    raise _GiveUp from None
                wait = backoff_seconds(attempt, self._rng)
            else:
                counts[Outcome.OK] += 1
                return self._text(completion, counts)
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

    async def _request(self, prompt: ChatPrompt, remaining: float) -> ChatCompletion:
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": prompt.system},
            {"role": "user", "content": prompt.user},
        ]
        return await self._client.chat.completions.create(
            model=self._settings.openai_model,
            messages=messages,
            temperature=prompt.temperature,
            max_completion_tokens=prompt.max_tokens,
            response_format={"type": "json_object"} if prompt.json_output else omit,
            timeout=min(self._settings.openai_attempt_timeout_seconds, remaining),
        )

    @staticmethod
    def _text(completion: ChatCompletion, counts: Counter[str]) -> str | None:
        if completion.usage is not None:
            counts["prompt_tokens"] += completion.usage.prompt_tokens
            counts["completion_tokens"] += completion.usage.completion_tokens
        content = completion.choices[0].message.content if completion.choices else None
        text = (content or "").strip()
        if not text:
            counts["empty"] += 1
            return None
        return text


def _status_outcome(status: int) -> Outcome:
    if status == 429:
        return Outcome.RATE_LIMITED
    if status >= 500:
        return Outcome.SERVER_ERROR
    return Outcome.CLIENT_ERROR


def _worth_retrying(error: APIStatusError) -> bool:
    # A 429 for an exhausted quota (not a rate) stays a 429 however long one waits.
    return retryable_status(error.status_code) and getattr(error, "code", None) != "insufficient_quota"
