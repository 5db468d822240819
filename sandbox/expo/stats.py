"""Per-project counters for `/__sandbox/stats` and their Prometheus rendering (§4.10)."""

from __future__ import annotations

from collections import deque
from typing import Any

from .rate_window import SlidingWindow

REQUEST_ERROR_CODES = (
    "PUSH_TOO_MANY_NOTIFICATIONS",
    "TOO_MANY_REQUESTS",
    "VALIDATION_ERROR",
    "PUSH_TOO_MANY_EXPERIENCE_IDS",
    "UNAUTHORIZED",
    "PUSH_TOO_MANY_RECEIPTS",
)
RECEIPT_OUTCOMES = (
    "ok",
    "DeviceNotRegistered",
    "MessageTooBig",
    "MessageRateExceeded",
    "MismatchSenderId",
    "ProviderError",
    "InvalidCredentials",
    "ExpoError",
)
BATCH_BUCKETS = ("1", "2-10", "11-50", "51-99", "100")
STATUS_KEYS = ("200", "400", "401", "413", "429", "5xx")
ACCEPTED_HISTORY_S = 600


def batch_bucket(recipients: int) -> str:
    if recipients <= 1:
        return "1"
    if recipients <= 10:
        return "2-10"
    if recipients <= 50:
        return "11-50"
    if recipients <= 99:
        return "51-99"
    return "100"  # the cap; with a raised max_notifications_per_request this bucket means ">= 100"


def status_key(status: int) -> str:
    return "5xx" if status >= 500 else str(status)


class ProjectStats:
    def __init__(self) -> None:
        self.send_total = 0
        self.send_by_status: dict[str, int] = dict.fromkeys(STATUS_KEYS, 0)
        self.request_errors_by_code: dict[str, int] = dict.fromkeys(REQUEST_ERROR_CODES, 0)
        self.recipients_received = 0
        self.recipients_accepted = 0
        self.recipients_rate_limited = 0
        self.ticket_errors_by_code: dict[str, int] = {"DeviceNotRegistered": 0}
        self.malformed_tokens = 0
        self.receipts_created = 0
        self.receipts_lost = 0
        self.receipts_by_outcome: dict[str, int] = dict.fromkeys(RECEIPT_OUTCOMES, 0)
        self.receipt_requests = 0
        self.receipt_requests_by_status: dict[str, int] = dict.fromkeys(STATUS_KEYS, 0)
        self.receipt_ids_requested = 0
        self.receipt_ids_returned = 0
        self.receipt_ids_omitted = 0
        self.receipts_never_fetched_expired = 0
        self.batch_size_histogram: dict[str, int] = dict.fromkeys(BATCH_BUCKETS, 0)
        self.gzip_requests = 0
        self.bytes_in_wire = 0
        self.bytes_in_decoded = 0
        # Always a 1 s window (independent of rate_limit_window_ms): this is what Expo's "per second" means.
        self.rate_1s = SlidingWindow(1000)
        self.peak_rate_1s = 0
        self.accepted_per_second: deque[list[int]] = deque(maxlen=ACCEPTED_HISTORY_S)
        self.inflight = 0
        self.max_inflight_requests = 0
        self.sends_to_dead_tokens = 0
        self.duplicate_notifications = 0
        self.fault_injected: dict[str, int] = {
            "5xx": 0,
            "504_after_accept": 0,
            "reset": 0,
            "reset_after_accept": 0,
            "outage": 0,
        }

    def count_send_response(self, status: int, error_code: str | None) -> None:
        self.send_total += 1
        key = status_key(status)
        self.send_by_status[key] = self.send_by_status.get(key, 0) + 1
        if error_code is not None:
            self.request_errors_by_code[error_code] = self.request_errors_by_code.get(error_code, 0) + 1

    def count_receipt_response(self, status: int, error_code: str | None) -> None:
        self.receipt_requests += 1
        key = status_key(status)
        self.receipt_requests_by_status[key] = self.receipt_requests_by_status.get(key, 0) + 1
        if error_code is not None:
            self.request_errors_by_code[error_code] = self.request_errors_by_code.get(error_code, 0) + 1

    def note_admitted(self, recipients: int, mono_now: float) -> None:
        rate = self.rate_1s.add(mono_now, recipients)
        if rate > self.peak_rate_1s:
            self.peak_rate_1s = rate
        self.batch_size_histogram[batch_bucket(recipients)] += 1

    def note_accepted(self, accepted: int, wall_second: int) -> None:
        history = self.accepted_per_second
        if history and history[-1][0] == wall_second:
            history[-1][1] += accepted
        else:
            history.append([wall_second, accepted])

    def snapshot(self, mono_now: float, max_connections: int, wall_second: int) -> dict[str, Any]:
        return {
            "send_requests": {"total": self.send_total, "by_status": dict(self.send_by_status)},
            "request_errors_by_code": dict(self.request_errors_by_code),
            "recipients_received": self.recipients_received,
            "recipients_accepted": self.recipients_accepted,
            "recipients_rate_limited": self.recipients_rate_limited,
            "ticket_errors_by_code": dict(self.ticket_errors_by_code),
            "malformed_tokens": self.malformed_tokens,
            "receipts_created": self.receipts_created,
            "receipts_lost": self.receipts_lost,
            "receipts_by_outcome": dict(self.receipts_by_outcome),
            "receipt_requests": self.receipt_requests,
            "receipt_requests_by_status": dict(self.receipt_requests_by_status),
            "receipt_ids_requested": self.receipt_ids_requested,
            "receipt_ids_returned": self.receipt_ids_returned,
            "receipt_ids_omitted": self.receipt_ids_omitted,
            "receipts_never_fetched_expired": self.receipts_never_fetched_expired,
            "batch_size_histogram": dict(self.batch_size_histogram),
            "gzip_requests": self.gzip_requests,
            "bytes_in_wire": self.bytes_in_wire,
            "bytes_in_decoded": self.bytes_in_decoded,
            "peak_rate_1s": self.peak_rate_1s,
            "current_rate_1s": self.rate_1s.total(mono_now),
            "accepted_per_second": [
                [second, n]
                for second, n in self.accepted_per_second
                if second > wall_second - ACCEPTED_HISTORY_S
            ],
            # Connections are what Expo's "at most 6" is about; in-flight requests alone undercount them
            # because a handler without injected latency never yields to the event loop.
            "max_concurrent_requests": max(max_connections, self.max_inflight_requests),
            "max_concurrent_connections": max_connections,
            "max_inflight_requests": self.max_inflight_requests,
            "sends_to_dead_tokens": self.sends_to_dead_tokens,
            "duplicate_notifications": self.duplicate_notifications,
            "fault_injected": dict(self.fault_injected),
        }


# Prometheus rendering --------------------------------------------------------------------------------

_GAUGES = frozenset(
    {
        "peak_rate_1s",
        "current_rate_1s",
        "max_concurrent_requests",
        "max_concurrent_connections",
        "max_inflight_requests",
    }
)
_LABEL_FOR = {
    "request_errors_by_code": "code",
    "ticket_errors_by_code": "code",
    "receipts_by_outcome": "outcome",
    "receipt_requests_by_status": "status",
    "batch_size_histogram": "bucket",
    "fault_injected": "kind",
}
_SKIP = frozenset({"accepted_per_second"})


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_prometheus(snapshot: dict[str, Any]) -> str:
    """Text exposition format; every sample family is grouped, as Prometheus requires."""
    families: dict[str, tuple[str, list[str]]] = {}

    def sample(name: str, labels: dict[str, str], value: float, kind: str) -> None:
        full = f"expo_sandbox_{name}"
        if kind == "counter":
            full += "_total"
        rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        families.setdefault(full, (kind, []))[1].append(f"{full}{{{rendered}}} {value}")

    for project, counters in sorted(snapshot["projects"].items()):
        for name, value in counters.items():
            if name in _SKIP:
                continue
            kind = "gauge" if name in _GAUGES else "counter"
            if name == "send_requests":
                sample("send_requests", {"project": project}, value["total"], "counter")
                for status, n in value["by_status"].items():
                    sample("send_requests_by_status", {"project": project, "status": status}, n, "counter")
            elif isinstance(value, dict):
                label = _LABEL_FOR.get(name, "key")
                for key, n in value.items():
                    sample(name, {"project": project, label: key}, n, kind)
            else:
                sample(name, {"project": project}, value, kind)
    lines: list[str] = []
    for key in ("uptime_s", "dead_tokens", "receipts_stored", "open_connections"):
        if key in snapshot:
            lines.append(f"# TYPE expo_sandbox_{key} gauge")
            lines.append(f"expo_sandbox_{key} {snapshot[key]}")
    for full, (kind, samples) in families.items():
        lines.append(f"# TYPE {full} {kind}")
        lines.extend(samples)
    return "\n".join(lines) + "\n"
