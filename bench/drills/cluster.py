"""A private PostgreSQL cluster the drills start, restart and remove themselves.

The PostgreSQL drill restarts the database server; the shared server at 127.0.0.1:5432 serves other
sessions and tests, so every drill runs on a cluster of its own in a temporary directory, on a free
port (scripts/services.sh starts its private server the same way: initdb/pg_ctl as the `postgres`
user when run as root, since both refuse to run as root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

PG_OS_USER: Final = "postgres"
START_TIMEOUT_S: Final = 60


def _pg_bin() -> Path:
    initdb = shutil.which("initdb") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if initdb is None:
        raise RuntimeError("initdb not found: install PostgreSQL (scripts/services.sh up does)")
    return Path(os.path.realpath(initdb)).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.port = _free_port()
        self.bin = _pg_bin()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", PG_OS_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd="/")

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, PG_OS_USER)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "postgres.log")
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            log,
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT_S),
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", str(START_TIMEOUT_S))


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="fitnudge-drills-pg-"))
    cluster = Cluster(directory)
    try:
        cluster.create()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop("immediate")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
