"""Where each process type keeps its metric files, set before anything imports prometheus_client.

prometheus_client decides at import whether values live in memory or in files under
PROMETHEUS_MULTIPROC_DIR (its multiprocess mode), so every entry point calls `use_multiprocess_dir`
first: `api/__init__.py` for the web processes (every uvicorn worker imports it before the app),
`workers/supervisor.py` for its Dramatiq children, `workers/scheduler.py` for the scheduler. One
directory per process type, so each scrape endpoint reports its own type: the web app's `/metrics`
adds up every uvicorn worker's files, the supervisor's port every worker child's.

This module must not import prometheus_client (nor anything that does).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["MULTIPROC_ENV", "metrics_dir", "use_multiprocess_dir"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir(process_type: str) -> Path:
    """`METRICS_DIR/<process_type>`; by default under the temporary directory, per Dramatiq namespace so
    two copies of the system on one machine never add up each other's files."""
    base = os.environ.get("METRICS_DIR") or str(
        Path(tempfile.gettempdir()) / "fitnudge-metrics" / os.environ.get("DRAMATIQ_NAMESPACE", "fitnudge")
    )
    return Path(base) / process_type


def use_multiprocess_dir(process_type: str, *, own: bool = False) -> Path:
    """Point this process (and the children it starts) at its type's directory.

    A web worker (one of several started alike) keeps a directory its environment already names. The
    one process that owns a type's directory (`own`: the worker supervisor, the scheduler) sets it
    whatever it inherited, so its children never write into another type's directory, and removes
    the files of earlier runs, whose dead processes would otherwise be counted forever."""
    if own:
        os.environ[MULTIPROC_ENV] = str(metrics_dir(process_type))
    directory = Path(os.environ.setdefault(MULTIPROC_ENV, str(metrics_dir(process_type))))
    directory.mkdir(parents=True, exist_ok=True)
    if own:
        for stale in directory.glob("*.db"):
            stale.unlink(missing_ok=True)
    return directory
