"""Run the real process types (web, worker, scheduler) as child processes, as the Procfile does."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.database import REPO_ROOT

BIN = Path(sys.executable).parent
PROCFILE = REPO_ROOT / "Procfile"


def worker_command(processes: int = 1, threads: int = 4, queues: Sequence[str] = ()) -> list[str]:
    command = [
        str(BIN / "dramatiq"),
        "workers.broker",
        "workers.registry",
        "-p",
        str(processes),
        "-t",
        str(threads),
    ]
    if queues:
        command += ["-Q", *queues]
    return command


def scheduler_command() -> list[str]:
    return [str(BIN / "python"), "-m", "workers.scheduler"]


def procfile_command(process_type: str) -> list[str]:
    """The Procfile's own command line for `process_type`, run through a shell as a PaaS runs it (so
    `${PORT:-8000}` and the like expand), with this venv's executables first on PATH."""
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            return ["bash", "-c", f'PATH={shlex.quote(str(BIN))}:"$PATH" exec {command.strip()}']
    raise LookupError(f"{PROCFILE} has no {process_type!r} process")


@contextmanager
def running(
    command: list[str], *, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` in its own process group; on exit, stop the whole group."""
    output = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        stop_group(process)
        if log:
            output.close()  # type: ignore[union-attr]


def stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
