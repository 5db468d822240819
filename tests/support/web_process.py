"""Starting the Procfile's web process in a test: a free port, and waiting until it answers."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx

START_TIMEOUT_SECONDS = 60


async def wait_until_live(client: httpx.AsyncClient, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        assert process.poll() is None, f"the web process exited (log: {log})"
        try:
            if (await client.get("/health/live")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"the web process did not start (log: {log})")
