"""Progress bars for long commands (a benchmark's seeding and draining, `python -m workers.run_job`'s
batches): on stderr, so what a command prints on stdout (a benchmark's figures, a job's log line) stays
parseable, and only when stderr is a terminal (CI logs and the scheduler's runs stay clean)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

__all__ = ["countdown", "counter", "steps"]

T = TypeVar("T")


def steps(items: Iterable[T], *, what: str, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """`items`, with a bar of how many went by."""
    yield from tqdm(items, desc=what, total=total, unit=unit, disable=None, leave=False)


class countdown:  # noqa: N801  (used like a function: `with countdown(...) as left:`)
    """A bar for work measured by what is left: `left(n)` after each look moves it to total − n."""

    def __init__(self, total: int, *, what: str, unit: str = "it") -> None:
        self._bar = tqdm(total=total, desc=what, unit=unit, disable=None, leave=False)
        self._total = total

    def __enter__(self) -> countdown:
        return self

    def __call__(self, remaining: int) -> None:
        self._bar.update(max(0, self._total - remaining) - self._bar.n)

    def __exit__(self, *_: object) -> None:
        self._bar.close()


class counter:  # noqa: N801  (used like a function: `with counter(...) as tick:`)
    """A bar for work counted as it is done, its total unknown: `tick()` after each piece."""

    def __init__(self, *, what: str, unit: str = "it") -> None:
        self._bar = tqdm(desc=what, unit=unit, disable=None, leave=False)

    def __enter__(self) -> counter:
        return self

    def __call__(self) -> None:
        self._bar.update()

    def __exit__(self, *_: object) -> None:
        self._bar.close()
