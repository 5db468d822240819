"""The drills' table, one row per drill, in Markdown (as BENCHMARKS.md shows it)."""

from __future__ import annotations

from bench.drills.faults import Drill
from bench.drills.measure import Outcome

COLUMNS = (
    "drill",
    "pushes",
    "delivered once",
    "lost",
    "duplicated",
    "ambiguous (accepted / doubled)",
    "fan-out s",
    "vs baseline s",
    "rate back after s",
    "last push after fault s",
    "all settled after fault s",
)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def row(drill: Drill, result: Outcome, baseline: Outcome) -> list[str]:
    return [
        drill.name,
        f"{result.total:,}",
        f"{result.delivered_once:,}",
        str(result.lost),
        str(result.duplicated),
        f"{result.ambiguous} ({result.ambiguous_accepted} / {result.ambiguous_duplicated})",
        _seconds(result.fan_out_s),
        "—" if drill.name == "baseline" else f"{result.fan_out_s - baseline.fan_out_s:+.1f}",
        _seconds(result.rate_back_after_s),
        _seconds(result.last_push_after_fault_s),
        _seconds(result.settled_after_fault_s),
    ]


def header() -> str:
    return "| " + " | ".join(COLUMNS) + " |\n" + "|" + "---|" * len(COLUMNS)


def line(drill: Drill, result: Outcome, baseline: Outcome) -> str:
    return "| " + " | ".join(row(drill, result, baseline)) + " |"
