"""Progress bars for the long steps of a benchmark (seeding, draining): on stderr, so the figures a
benchmark prints on stdout stay parseable, and only when stderr is a terminal (CI logs stay clean)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

__all__ = ["countdown", "steps"]

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
