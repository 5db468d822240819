"""The stub's mutable state: the standing config, the scripted outcomes, the request log and counters."""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

from .answers import Filler
from .tool_calls import StubToolCall

FAULTS = frozenset(
    {
        "rate_limit",
        "server_error",
        "timeout",
        "malformed",
        "empty",
        "bad_request",
        "invalid_body",
        "malformed_tool_call",
        "unknown_tool",
    }
)
DEFAULT_RETRY_AFTER_S = 1.0
DEFAULT_HANG_S = 30.0
# Bounded so a long benchmark cannot grow the stub without limit; the counters keep counting.
REQUEST_LOG_SIZE = 10_000


class ControlError(ValueError):
    """A control request was rejected; the message is safe to show to the caller."""


def _number(body: dict[str, Any], key: str, default: float) -> float:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ControlError(f"{key} must be a number >= 0")
    return float(value)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one request is answered: normally, with `content`, or with a fault."""

    fault: str | None = None
    content: str | None = None
    latency_ms: float = 0.0
    retry_after: float = DEFAULT_RETRY_AFTER_S
    hang_seconds: float = DEFAULT_HANG_S
    # A request offering tools gets this call (scripted only), whatever its messages say.
    tool_call: StubToolCall | None = None

    @property
    def name(self) -> str:
        if self.fault is not None:
            return self.fault
        return "scripted" if self.content is not None or self.tool_call is not None else "ok"

    @classmethod
    def parse(cls, body: object, *, latency_ms: float = 0.0) -> Outcome:
        if not isinstance(body, dict):
            raise ControlError("an outcome is a JSON object")
        unknown = set(body) - {"fault", "content", "latency_ms", "retry_after", "hang_seconds", "tool_call"}
        if unknown:
            raise ControlError(f"unknown keys {sorted(unknown)}")
        fault = body.get("fault")
        if fault is not None and fault not in FAULTS:
            raise ControlError(f"fault must be null or one of {sorted(FAULTS)}")
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            raise ControlError("content must be a string")
        if fault is not None and content is not None:
            raise ControlError("give a fault or a content, not both")
        return cls(
            fault=fault,
            content=content,
            tool_call=_tool_call(body.get("tool_call")),
            latency_ms=_number(body, "latency_ms", latency_ms),
            retry_after=_number(body, "retry_after", DEFAULT_RETRY_AFTER_S),
            hang_seconds=_number(body, "hang_seconds", DEFAULT_HANG_S),
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _tool_call(value: object) -> StubToolCall | None:
    """`{"name": "get_goals", "arguments": "{}"}`: arguments is the raw text the model writes."""
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or set(value) != {"name", "arguments"}
        or not all(isinstance(item, str) for item in value.values())
    ):
        raise ControlError('tool_call must be {"name": <string>, "arguments": <string>}')
    return StubToolCall(value["name"], value["arguments"])


class StubState:
    def __init__(self, latency_ms: float = 0.0) -> None:
        self.default_latency_ms = latency_ms
        self.filler = Filler()
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        """Back to the start-up config (the `--latency-ms` it was started with); log and counters cleared.

        Requests still held from before (a `timeout` fault's hang) no longer count as in flight: the
        figures describe what came after the reset, whatever an earlier test left hanging.
        """
        self.generation += 1
        self.config = Outcome(latency_ms=self.default_latency_ms)
        self.script: deque[Outcome] = deque()
        self.log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.outcomes: Counter[str] = Counter()
        self.inflight = 0
        self.max_inflight = 0

    def configure(self, body: object) -> Outcome:
        """PUT semantics: the body is the whole config; what it leaves out takes its default."""
        if isinstance(body, dict) and "content" in body:
            raise ControlError("content belongs in a script, not the standing config")
        self.config = Outcome.parse(body)
        return self.config

    def add_script(self, body: object) -> int:
        outcomes = body.get("outcomes") if isinstance(body, dict) else None
        if not isinstance(outcomes, list):
            raise ControlError('body must be {"outcomes": [{...}, ...]}')
        # The standing latency still applies to a scripted answer unless the outcome names its own.
        parsed = [Outcome.parse(item, latency_ms=self.config.latency_ms) for item in outcomes]
        self.script.extend(parsed)
        return len(self.script)

    def next_outcome(self) -> Outcome:
        return self.script.popleft() if self.script else self.config

    def record(self, path: str, body: Any, outcome: Outcome) -> None:
        self.log.append({"path": path, "body": body, "received_at": time.time(), "outcome": outcome.name})
        self.outcomes[outcome.name] += 1

    def enter(self) -> int:
        """Count a request in flight; returns the generation to hand back to `leave`."""
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        return self.generation

    def leave(self, generation: int) -> None:
        if generation == self.generation:
            self.inflight -= 1

    def stats(self) -> dict[str, Any]:
        return {
            "requests": sum(self.outcomes.values()),
            "by_outcome": dict(self.outcomes),
            "inflight": self.inflight,
            "max_inflight": self.max_inflight,
            "scripted_left": len(self.script),
        }
