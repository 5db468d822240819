"""Ring buffer of recently accepted messages for `/__sandbox/messages`."""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

from .tokens import TokenInfo


class LoggedMessage(NamedTuple):
    received_at: float
    token: str
    project: str
    ticket_id: str | None
    message: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "received_at": self.received_at,
            "to": self.token,
            "project": self.project,
            "ticket_id": self.ticket_id,
            "ticket_status": "ok" if self.ticket_id else "error",
            # Error tickets are always DeviceNotRegistered (malformed or dead token).
            "ticket_error": None if self.ticket_id else "DeviceNotRegistered",
            "message": self.message,
        }


class _Batch(NamedTuple):
    received_at: float
    project: str
    messages: list[dict[str, Any]]
    recipients: list[TokenInfo]
    ticket_ids: list[str | None]  # parallel to recipients; None for error tickets


class MessageLog:
    """Stores whole accepted requests and expands them into per-recipient entries only when queried.

    Logging one object per request instead of one per recipient keeps the send hot path cheap. The
    capacity is counted in recipients and enforced at request granularity.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._batches: deque[_Batch] = deque()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def resize(self, capacity: int) -> None:
        self.capacity = capacity
        self._evict()

    def append(
        self,
        received_at: float,
        project: str,
        messages: list[dict[str, Any]],
        recipients: list[TokenInfo],
        ticket_ids: list[str | None],
    ) -> None:
        self._batches.append(_Batch(received_at, project, messages, recipients, ticket_ids))
        self._size += len(recipients)
        self._evict()

    def _evict(self) -> None:
        while self._size > self.capacity and len(self._batches) > 1:
            self._size -= len(self._batches.popleft().recipients)

    def query(self, to: str | None, since: float | None, limit: int) -> list[LoggedMessage]:
        """The newest `limit` matches, oldest first."""
        found: list[LoggedMessage] = []
        for batch in reversed(self._batches):
            if since is not None and batch.received_at < since:
                break  # batches are in arrival order, so nothing older can match
            entries = list(_expand(batch))
            for entry in reversed(entries):
                if to is None or entry.token == to:
                    found.append(entry)
                    if len(found) >= limit:
                        found.reverse()
                        return found
        found.reverse()
        return found


def _expand(batch: _Batch) -> list[LoggedMessage]:
    entries: list[LoggedMessage] = []
    cursor = 0
    for message in batch.messages:
        to = message["to"]
        count = 1 if isinstance(to, str) else len(to)
        for offset in range(count):
            i = cursor + offset
            entries.append(
                LoggedMessage(
                    batch.received_at, batch.recipients[i].token, batch.project, batch.ticket_ids[i], message
                )
            )
        cursor += count
    return entries
