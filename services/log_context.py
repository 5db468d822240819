"""Structured logs across processes: every line carries the request id that caused it, through the
queue into the actors that request enqueued, and the task id of the actor run writing it.

- The API takes `X-Request-ID` from the caller (or makes one) for each request (api/request_ids.py)
  and answers with it; `services/messages.build_message` copies it into every message's options; the
  workers' middleware (workers/log_middleware.py) puts it back in context, with the message id as
  task id and the actor's name, for the whole run — and for any message that run enqueues.
- `configure_logging` gives the root logger's handlers (or a new stderr one) this module's filter and
  one of two formats: JSON lines (LOG_FORMAT=json, the default outside dev and test) or a readable
  console line (LOG_FORMAT=console, the default of `make run`).
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Final

__all__ = ["ACTOR", "REQUEST_ID", "TASK_ID", "configure_logging"]

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
TASK_ID: ContextVar[str | None] = ContextVar("task_id", default=None)
ACTOR: ContextVar[str | None] = ContextVar("actor", default=None)

CONSOLE_FORMAT: Final = (
    "%(asctime)s %(levelname)-7s %(process_type)s[%(process)d] %(name)s%(context)s: %(message)s"
)
# Attributes every LogRecord has; anything else a call passed in `extra=` goes into the JSON line too.
_STANDARD_ATTRIBUTES: Final = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "process_type",
    "request_id",
    "task_id",
    "actor",
    "context",
}


class ContextFilter(logging.Filter):
    """Adds the process type and the request / task context to every record."""

    def __init__(self, process_type: str) -> None:
        super().__init__()
        self.process_type = process_type

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_type = self.process_type
        record.request_id = REQUEST_ID.get()
        record.task_id = TASK_ID.get()
        record.actor = ACTOR.get()
        parts = [
            f"{key}={value}" for key in ("request_id", "actor", "task_id") if (value := getattr(record, key))
        ]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process_type": getattr(record, "process_type", None),
            "pid": record.process,
        }
        for key in ("request_id", "task_id", "actor"):
            if value := getattr(record, key, None):
                line[key] = value
        line.update((key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(process_type: str, log_format: str, *, level: int = logging.INFO) -> None:
    """Format every root handler (adding a stderr one when there is none) as `log_format` says."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(CONSOLE_FORMAT)
    for handler in root.handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(existing, ContextFilter) for existing in handler.filters):
            handler.addFilter(ContextFilter(process_type))
    root.setLevel(level)
