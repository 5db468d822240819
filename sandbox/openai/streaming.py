"""`stream: true`: a finished answer cut into OpenAI's `chat.completion.chunk` server-sent events.

As OpenAI sends them: every event is `data: <json>` and a blank line; the first chunk carries the
role, then the content a few words at a time (or the tool call: its id and name, then its arguments),
then a chunk with the finish_reason; with `stream_options.include_usage` one more chunk with empty
choices and the usage; last `data: [DONE]`.
"""

from __future__ import annotations

import json
import re
from typing import Any

SSE_TYPE = b"text/event-stream; charset=utf-8"
DONE = b"data: [DONE]\n\n"
# Three words a chunk: enough pieces for a client to show text growing.
_PIECE = re.compile(r"(?:\S+\s*){1,3}|\s+")


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def text_pieces(text: str) -> list[str]:
    return _PIECE.findall(text)


def completion_chunks(completion: dict[str, Any], *, with_usage: bool) -> list[bytes]:
    head = {key: completion[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = completion["choices"][0]
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        return _event(
            head
            | {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
        )

    events = [chunk({"role": "assistant", "content": "", "refusal": None})]
    for number, call in enumerate(message.get("tool_calls") or ()):
        function = call["function"]
        events.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": number,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": function["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        events.append(
            chunk({"tool_calls": [{"index": number, "function": {"arguments": function["arguments"]}}]})
        )
    events.extend(chunk({"content": piece}) for piece in text_pieces(message.get("content") or ""))
    events.append(chunk({}, choice["finish_reason"]))
    if with_usage:
        events.append(_event(head | {"choices": [], "usage": completion["usage"]}))
    events.append(DONE)
    return events
