"""Which tool the stub calls, when a request offers tools (`tools` in the body).

A model calls a tool only when the conversation's newest message is the user's (after a tool's answer
it writes its text): the stub does the same, and calls the first offered tool whose name appears in
that user message (`"how are my get_goals going"` → `get_goals` with `{}`), or the scripted one.
The faults `malformed_tool_call` and `unknown_tool` make it call badly, as real models sometimes do.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

MALFORMED_ARGUMENTS = '{"limit": 5,'
UNKNOWN_TOOL = "drop_all_tables"
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class StubToolCall:
    name: str
    arguments: str

    def as_json(self) -> dict[str, Any]:
        """The `tool_calls` item of a non-streamed answer."""
        return {
            "id": f"call_stub_{next(_ids)}",
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


def offered_tools(body: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for tool in body.get("tools") or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def last_user_text(body: dict[str, Any]) -> str | None:
    """The newest message's text when the user wrote it, else None (a tool answered last)."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    if not messages or messages[-1].get("role") != "user":
        return None
    content = messages[-1].get("content")
    return content if isinstance(content, str) else None


def chosen_call(
    body: dict[str, Any], fault: str | None, scripted: StubToolCall | None
) -> StubToolCall | None:
    tools = offered_tools(body)
    if not tools:
        return None
    if scripted is not None:
        return scripted
    if fault == "malformed_tool_call":
        return StubToolCall(tools[0], MALFORMED_ARGUMENTS)
    if fault == "unknown_tool":
        return StubToolCall(UNKNOWN_TOOL, "{}")
    text = last_user_text(body)
    if text is None:
        return None
    for name in tools:
        if name in text:
            return StubToolCall(name, json.dumps({}))
    return None
