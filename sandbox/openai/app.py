"""The ASGI application: `POST /v1/chat/completions` in OpenAI's shape, and the `/__stub/` control API.

A raw ASGI callable on uvicorn, with the Expo sandbox's plumbing (sandbox/expo/asgi_io.py), so a few
hundred requests a second held open for their latency cost the stub next to nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from sandbox.expo.asgi_io import (
    BodyDecodeError,
    BodyTooLarge,
    Receive,
    Response,
    Scope,
    Send,
    html_response,
    json_decode,
    json_response,
    read_body,
    send_response,
)

from .answers import MALFORMED_CONTENT, estimate_tokens, json_answer, plain_answer
from .state import ControlError, Outcome, StubState
from .streaming import SSE_TYPE, completion_chunks
from .tool_calls import StubToolCall, chosen_call

COMPLETIONS_PATH = "/v1/chat/completions"
CONTROL_PREFIX = "/__stub/"
MAX_BODY_BYTES = 4 * 1024 * 1024


def openai_error(status: int, message: str, kind: str, code: str | None = None) -> Response:
    """OpenAI's error body: {"error": {message, type, param, code}}."""
    return json_response(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


def message_texts(body: dict[str, Any]) -> list[str]:
    """The messages' texts, system messages first (where a prompt's output example belongs)."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    ordered = [m for m in messages if m.get("role") == "system"] + [
        m for m in messages if m.get("role") != "system"
    ]
    texts: list[str] = []
    for message in ordered:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
            texts.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return texts


def wants_json(body: dict[str, Any]) -> bool:
    response_format = body.get("response_format")
    return isinstance(response_format, dict) and response_format.get("type") == "json_object"


class StubApp:
    def __init__(self, state: StubState) -> None:
        self.state = state
        self._ids = itertools.count(1)
        self._control: dict[tuple[str, str], Callable[[Any], Response]] = {
            ("GET", "healthz"): lambda _body: json_response(200, {"ok": True}),
            ("GET", "config"): lambda _body: json_response(200, self.state.config.as_json()),
            ("PUT", "config"): lambda body: json_response(200, self.state.configure(body).as_json()),
            ("POST", "script"): lambda body: json_response(200, {"queued": self.state.add_script(body)}),
            ("GET", "requests"): lambda _body: json_response(200, {"requests": list(self.state.log)}),
            ("GET", "stats"): lambda _body: json_response(200, self.state.stats()),
            ("POST", "reset"): self._reset,
        }

    def _reset(self, _body: Any) -> Response:
        self.state.reset()
        return json_response(200, {"ok": True})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == COMPLETIONS_PATH and scope["method"] == "POST":
            response = await self._completion(scope, receive)
            if isinstance(response, list):
                await _send_events(send, response)
                return
        elif path.startswith(CONTROL_PREFIX):
            response = await self._control_request(scope, receive)
        else:
            response = openai_error(
                404, f"Unknown request URL: {scope['method']} {path}", "invalid_request_error"
            )
        await send_response(send, response, gzip_min_bytes=None)

    async def _read_json(self, receive: Receive) -> Any:
        raw = await read_body(receive, MAX_BODY_BYTES)
        return json_decode(raw) if raw else None

    async def _control_request(self, scope: Scope, receive: Receive) -> Response:
        handler = self._control.get((scope["method"], scope["path"][len(CONTROL_PREFIX) :]))
        if handler is None:
            return json_response(404, {"error": f"no control route {scope['method']} {scope['path']}"})
        try:
            return handler(await self._read_json(receive))
        except (BodyDecodeError, BodyTooLarge, ControlError) as exc:
            return json_response(400, {"error": str(exc) or "body too large"})

    async def _completion(self, scope: Scope, receive: Receive) -> Response | list[bytes]:
        """The answer: a JSON response, or (`stream: true`) the server-sent events to write."""
        headers = dict(scope["headers"])
        if not headers.get(b"authorization", b"").lower().startswith(b"bearer "):
            return openai_error(401, "You didn't provide an API key.", "invalid_request_error")
        try:
            body = await self._read_json(receive)
        except (BodyDecodeError, BodyTooLarge) as exc:
            return openai_error(400, str(exc) or "body too large", "invalid_request_error")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return openai_error(400, "'messages' is a required property", "invalid_request_error")
        state = self.state
        outcome = state.next_outcome()
        state.record(COMPLETIONS_PATH, body, outcome)
        generation = state.enter()
        try:
            if outcome.latency_ms > 0:
                await asyncio.sleep(outcome.latency_ms / 1000)
            return await self._answer(body, outcome)
        finally:
            state.leave(generation)

    async def _answer(self, body: dict[str, Any], outcome: Outcome) -> Response | list[bytes]:
        if outcome.fault == "rate_limit":
            response = openai_error(
                429, "Rate limit reached for requests (stub).", "requests", "rate_limit_exceeded"
            )
            response.headers.append((b"retry-after", f"{outcome.retry_after:g}".encode()))
            return response
        if outcome.fault == "server_error":
            return openai_error(
                500, "The server had an error while processing your request (stub).", "server_error"
            )
        if outcome.fault == "bad_request":
            return openai_error(400, "Invalid request (stub).", "invalid_request_error")
        if outcome.fault == "invalid_body":  # what a misconfigured proxy in front of the API answers
            return html_response(200, "Welcome")
        if outcome.fault == "timeout":
            await asyncio.sleep(outcome.hang_seconds)
        call = chosen_call(body, outcome.fault, outcome.tool_call)
        content = "" if call is not None else self._content(body, outcome)
        completion = self._completion_body(body, content, call)
        if body.get("stream") is True:
            options = body.get("stream_options")
            with_usage = isinstance(options, dict) and options.get("include_usage") is True
            return completion_chunks(completion, with_usage=with_usage)
        return json_response(200, completion)

    def _content(self, body: dict[str, Any], outcome: Outcome) -> str:
        if outcome.content is not None:
            return outcome.content
        if outcome.fault == "malformed":
            return MALFORMED_CONTENT
        if outcome.fault == "empty":
            return ""
        if wants_json(body):
            return json_answer(message_texts(body), self.state.filler)
        return plain_answer(self.state.filler)

    def _completion_body(
        self, body: dict[str, Any], content: str, call: StubToolCall | None
    ) -> dict[str, Any]:
        prompt_tokens = sum(estimate_tokens(text) for text in message_texts(body))
        completion_tokens = estimate_tokens(content) + (estimate_tokens(call.arguments) if call else 0)
        message: dict[str, Any] = {"role": "assistant", "content": content or None, "refusal": None}
        if call is not None:
            message["tool_calls"] = [call.as_json()]
        else:
            message["content"] = content
        return {
            "id": f"chatcmpl-stub-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model", "stub")),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "tool_calls" if call is not None else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


async def _send_events(send: Send, events: list[bytes]) -> None:
    """A streamed answer: the events one body part each, as OpenAI flushes them."""
    headers = [(b"content-type", SSE_TYPE), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for event in events:
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
