"""All mutable sandbox state, in one place so `reset` is trivially complete."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from .clock import SandboxClock
from .config import SandboxConfig
from .connections import ConnectionTracker
from .duplicates import DuplicateDetector
from .faults import FaultInjector, OutageWindow
from .ids import TicketIdFactory
from .message_log import MessageLog
from .rate_window import ProjectRateLimiter, SlidingWindow
from .receipts import LOST, OUTCOME, PROJECT, ReceiptStore
from .registry import DeadTokenRegistry
from .stats import ProjectStats
from .tokens import DEFAULT_PROJECT, TokenCatalog


class SandboxState:
    def __init__(
        self,
        config: SandboxConfig,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.wall = wall
        self.monotonic = monotonic
        self.clock = SandboxClock(virtual=config.virtual_clock, wall=wall)
        self.started_mono = monotonic()
        self.connections = ConnectionTracker()  # survives reset: connections outlive it
        self.tokens = TokenCatalog()
        self.ids = TicketIdFactory()
        self.inflight = 0
        self._clear()

    def _clear(self) -> None:
        config = self.config
        self.projects: dict[str, ProjectStats] = {DEFAULT_PROJECT: ProjectStats()}
        self.limiter = ProjectRateLimiter(
            config.rate_limit_per_second, config.rate_limit_window_ms, config.rate_limit_counts_rejected
        )
        self.receipt_window = SlidingWindow(1000)
        self.receipts = ReceiptStore()
        self.registry = DeadTokenRegistry()
        self.duplicates = DuplicateDetector(config.duplicate_window_s)
        self.messages = MessageLog(config.message_log_size)
        self.faults = FaultInjector(config.seed)
        self.outage = OutageWindow()
        self.flaky_sends: dict[str, int] = {}
        self.other_requests = 0
        self.max_inflight = self.inflight

    def reset(self) -> None:
        """Clear state and counters but keep config; the clock is not rewound (time never goes back)."""
        self._clear()
        self.connections.reset_peaks()

    def project(self, name: str) -> ProjectStats:
        stats = self.projects.get(name)
        if stats is None:
            stats = self.projects[name] = ProjectStats()
        return stats

    def apply_config(self, patch: Mapping[str, Any]) -> SandboxConfig:
        """Validate and apply a runtime patch; components holding derived settings are updated in place."""
        new = self.config.patched(patch)
        old, self.config = self.config, new
        self.limiter.reconfigure(
            new.rate_limit_per_second, new.rate_limit_window_ms, new.rate_limit_counts_rejected
        )
        self.duplicates.window_s = new.duplicate_window_s
        self.messages.resize(new.message_log_size)
        self.clock.set_virtual(new.virtual_clock)
        if new.seed != old.seed:
            self.faults.reseed(new.seed)
        return new

    def purge_expired_receipts(self) -> None:
        for record, fetched in self.receipts.purge_expired(self.clock.now(), self.config.receipt_ttl_s):
            if not fetched and record[OUTCOME] != LOST:
                self.project(record[PROJECT]).receipts_never_fetched_expired += 1

    def stats_snapshot(self) -> dict[str, Any]:
        self.purge_expired_receipts()
        mono = self.monotonic()
        wall_second = int(self.wall())
        projects = {
            name: stats.snapshot(mono, self.connections.max_for(name), wall_second)
            for name, stats in self.projects.items()
        }
        return {
            "uptime_s": round(mono - self.started_mono, 3),
            "clock": {
                "now": self.clock.now(),
                "virtual": self.clock.virtual,
                "offset_s": self.clock.offset_s,
            },
            "open_connections": self.connections.open_total,
            "max_open_connections": self.connections.max_open,
            "max_inflight_requests": self.max_inflight,
            "dead_tokens": len(self.registry),
            "receipts_stored": len(self.receipts),
            "messages_logged": len(self.messages),
            "other_requests": self.other_requests,
            "outage_active": self.outage.active(self.clock.now()),
            "projects": projects,
        }
