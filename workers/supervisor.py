"""The Procfile's `worker`: N Dramatiq worker processes, each restarted on its own when it dies.

`python -m workers.supervisor [--processes N] [--threads T]` (defaults: WORKER_PROCESSES, 2;
WORKER_THREADS, 8).

Dramatiq's own master stops every child as soon as one dies ("Worker with PID … exited unexpectedly
… Shutting down", dramatiq/cli.py), so a kill -9 of one child took the whole `worker` process down —
and under `make run` the whole system. Here each child is a `dramatiq --processes 1` of its own:
- a child that dies is started again (after 1 s, doubling up to 30 s while it keeps dying within
  10 s of its start, so a crash loop does not spin);
- at once a `push.sweep` is asked for, due when the dead child's heartbeat has expired
  (workers/liveness.py DEAD_AFTER): the pushes it had claimed go back in the queue within seconds
  instead of a claim lease. Its other messages come back through Dramatiq's own redelivery of a dead
  worker's unacknowledged messages.
- the supervisor serves the children's metrics on WORKER_METRICS_PORT (workers/metrics_server.py);
- SIGTERM / SIGINT are passed to every child, which finish their current messages (Dramatiq's
  graceful stop); the supervisor exits once all have stopped, with the first non-zero status.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Final

from services.addresses import PUSH_QUEUE
from services.log_context import configure_logging
from services.messages import ActorAddress, build_client_broker, build_message
from services.metrics_setup import use_multiprocess_dir
from settings import get_settings
from workers.liveness import DEAD_AFTER
from workers.metrics_server import serve_metrics

logger = logging.getLogger("workers.supervisor")

POLL_SECONDS: Final = 0.5
FIRST_PAUSE_SECONDS: Final = 1.0
MAX_PAUSE_SECONDS: Final = 30.0
# A child that dies sooner than this after its start is crash-looping: the pause before the next start
# doubles.
HEALTHY_AFTER_SECONDS: Final = 10.0
PUSH_SWEEP: Final = ActorAddress("push.sweep", PUSH_QUEUE)
PR_SET_PDEATHSIG: Final = 1  # linux/prctl.h


@dataclass
class Child:
    slot: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    pause: float = FIRST_PAUSE_SECONDS
    # When a dead child may be started again.
    restart_at: float = 0.0


def die_with_parent() -> None:
    """In the child, before exec: a TERM when the supervisor dies, even by SIGKILL (Linux), so a child
    in its own session is never left running on its own."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, command: Sequence[str], processes: int) -> None:
        self.command = list(command)
        self.children = [Child(slot) for slot in range(processes)]
        self.stopping = False
        self.exit_status = 0

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for child in self.children:
            self._start(child)
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                self._watch(child, now)
            time.sleep(POLL_SECONDS)
        return self._wait_for_children()

    def _start(self, child: Child) -> None:
        # A session of its own: a TERM to the supervisor's process group (a PaaS stopping the dyno, `make
        # run` stopping) reaches the supervisor only, which passes one TERM on. Dramatiq's processes
        # take a second TERM as "kill now", dropping the messages they were finishing.
        child.process = subprocess.Popen(self.command, start_new_session=True, preexec_fn=die_with_parent)
        child.started_at = time.monotonic()
        logger.info("worker %d started (pid %d)", child.slot, child.process.pid)

    def _watch(self, child: Child, now: float) -> None:
        if child.process is None:
            if now >= child.restart_at:
                self._start(child)
            return
        status = child.process.poll()
        if status is None:
            return
        lived = now - child.started_at
        crash_looping = lived < HEALTHY_AFTER_SECONDS
        child.pause = min(child.pause * 2, MAX_PAUSE_SECONDS) if crash_looping else FIRST_PAUSE_SECONDS
        logger.error(
            "worker %d (pid %d) exited with %s after %.0f s; restarting in %.0f s",
            child.slot,
            child.process.pid,
            status,
            lived,
            child.pause,
        )
        child.process, child.restart_at = None, now + child.pause
        self._ask_for_push_sweep()

    def _ask_for_push_sweep(self) -> None:
        """A push.sweep due once the dead child's beats count as stopped."""
        settings = get_settings()
        broker = build_client_broker(settings.redis_url, settings.dramatiq_namespace)
        try:
            delay_ms = int((DEAD_AFTER.total_seconds() + 1) * 1000)
            broker.enqueue(build_message(PUSH_SWEEP), delay=delay_ms)
        except Exception:  # Redis away: the every-minute sweep does it
            logger.exception("could not ask for a push sweep")
        finally:
            broker.close()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        for child in self.children:
            if child.process is not None and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)

    def _wait_for_children(self) -> int:
        for child in self.children:
            if child.process is not None:
                status = child.process.wait()
                self.exit_status = self.exit_status or status
        return self.exit_status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.supervisor", description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=int(os.environ.get("WORKER_PROCESSES", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WORKER_THREADS", "8")))
    arguments = parser.parse_args(argv)
    settings = get_settings()
    configure_logging("worker-supervisor", settings.log_format)
    command = [
        sys.executable,
        "-m",
        "dramatiq",
        "workers.broker",
        "workers.registry",
        "--processes",
        "1",
        "--threads",
        str(arguments.threads),
    ]
    # The children inherit the directory; the supervisor serves what they record.
    serve_metrics(settings.worker_metrics_port, use_multiprocess_dir("worker", own=True))
    return Supervisor(command, arguments.processes).run()


if __name__ == "__main__":
    sys.exit(main())
