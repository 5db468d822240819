"""Duplicate-notification detection over a sliding (sandbox-clock) window."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import repeat
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder(order="sorted")


_SCALARS = (str, int, float, bool)


def message_fingerprint(message: dict[str, Any]) -> object:
    """Per-message part of the dedup key: data.notification_id, or (title, body, data) when absent.

    A bare notification id and the fallback tuple cannot be confused: they hash as different types.
    """
    data = message.get("data")  # validated: a dict or absent
    if data is not None:
        notification_id = data.get("notification_id")
        if notification_id is not None:
            if type(notification_id) in _SCALARS:
                return notification_id
            return ("nid", _encoder.encode(notification_id))
    data_key = None if data is None else _encoder.encode(data)
    return ("hash", message.get("title"), message.get("body"), data_key)


_EMPTY: dict[str, Any] = {}


def message_fingerprints(messages: list[dict[str, Any]]) -> list[object]:
    """`message_fingerprint` for each message, in bulk.

    The common case (every message carries a scalar data.notification_id) is resolved with C-level
    passes only; anything else falls back to the per-message function.
    """
    datas = map(dict.get, messages, repeat("data"), repeat(_EMPTY))
    ids: list[Any] = list(map(dict.get, datas, repeat("notification_id")))
    if None not in ids and all(map(isinstance, ids, repeat(_SCALARS))):
        return ids
    return list(map(message_fingerprint, messages))


class DuplicateDetector:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        # Keys are 64-bit hashes: at millions of entries the collision odds are ~1e-7, and memory stays flat.
        self._last_seen: dict[int, float] = {}
        self._order: deque[tuple[float, int]] = deque()

    def __len__(self) -> int:
        return len(self._last_seen)

    def record(self, deliveries: Iterable[tuple[str, object]], now: float) -> int:
        """Record (token, fingerprint) deliveries; return how many were seen before within the window."""
        self._expire(now)
        keys = list(map(hash, deliveries))
        # Bulk C-level updates: a key is new iff it grows the dict, so repeats (including repeats within
        # this same batch) are whatever did not.
        before = len(self._last_seen)
        self._last_seen.update(zip(keys, repeat(now)))
        self._order.extend(zip(repeat(now), keys))
        return len(keys) - (len(self._last_seen) - before)

    def _expire(self, now: float) -> None:
        order, last_seen = self._order, self._last_seen
        cutoff = now - self.window_s
        while order and order[0][0] <= cutoff:
            seen_at, key = order.popleft()
            # Only forget the key if this was its latest sighting; a newer one keeps it alive.
            if last_seen.get(key) == seen_at:
                del last_seen[key]
