"""The real process types of a drill: the Procfile's `worker` (the supervisor, 2 processes) and
`scheduler`, started as the Procfile starts them, each in a process group of its own."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import ExitStack
from pathlib import Path

from tests.support.processes import procfile_command, running, stop_group

WORKER_PROCESSES = 2


class System:
    """The worker supervisor and one or more schedulers; `restart` stops them with TERM (a deploy) and
    starts them again."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = {**env, "WORKER_PROCESSES": str(WORKER_PROCESSES)}
        self.logs = logs
        self._stack = ExitStack()
        self.supervisor: subprocess.Popen[bytes] | None = None
        self.schedulers: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> System:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _run(self, process_type: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{process_type}-{len(os.listdir(self.logs))}.log"
        return self._stack.enter_context(running(procfile_command(process_type), env=self.env, log=log))

    def start(self) -> None:
        self.supervisor = self._run("worker")
        self.add_scheduler()

    def add_scheduler(self) -> None:
        self.schedulers.append(self._run("scheduler"))

    def restart(self) -> None:
        processes = [self.supervisor, *self.schedulers] if self.supervisor else self.schedulers
        for process in processes:
            stop_group(process, signal.SIGTERM)
        count = len(self.schedulers)
        self.schedulers = []
        self.supervisor = self._run("worker")
        for _ in range(count):
            self.add_scheduler()


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped (a kill -9 of it would change nothing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
