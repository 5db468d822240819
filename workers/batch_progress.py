"""Following a long job run batch by batch: `on_each_batch(hook)` around the run, and `hook()` is called
after each of its batches commits. `run_locked_batches` (workers/periodic_jobs.py) calls
`batch_committed`, and so does every job that loops over its own batches; the scheduler's runs set no
hook, and `python -m workers.run_job` sets a progress bar.

A module of its own, importing nothing of the project: the push, mail and export loops report here
without importing the periodic-job machinery (which declares actors on the broker when imported).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["batch_committed", "on_each_batch"]

# What `batch_committed` calls in the run in progress; None: nobody is watching.
_batch_hook: ContextVar[Callable[[], None] | None] = ContextVar("periodic_job_batch_hook", default=None)


@contextmanager
def on_each_batch(hook: Callable[[], None]) -> Iterator[None]:
    """Call `hook` after each batch that commits in the runs inside this block (and the tasks they start)."""
    token = _batch_hook.set(hook)
    try:
        yield
    finally:
        _batch_hook.reset(token)


def batch_committed() -> None:
    """One more batch of the run in progress has committed: tell the hook, if any (`on_each_batch`)."""
    hook = _batch_hook.get()
    if hook is not None:
        hook()
