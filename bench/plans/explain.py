"""Query plans at scale: EXPLAIN (ANALYZE, BUFFERS) of the hot statements on a year of history.

    .venv/bin/python -m bench.plans.explain [--users 2000] [--goals-per-user 2] [--days 365]
        [--notices-per-day 1] [--delivery-days 365] [--pending-deliveries 500] [--plans both]

On a scratch database (bench/scheduling/scratch.py: created, migrated with Alembic, dropped after):
seeds a year of history (bench/plans/seed.py), runs VACUUM ANALYZE, then calls each function of
bench/plans/hot_statements.py in a transaction that is rolled back, records the SQL it sent with its
parameters, and prints the plan of each recorded statement, each EXPLAIN in its own rolled-back
transaction:

- `custom`: `EXPLAIN (ANALYZE, BUFFERS) <statement>` with the recorded parameters, planned for those
  values (what a statement's first executions get);
- `generic`: with `plan_cache_mode = force_generic_plan`, the statement is PREPAREd and run with
  `EXPLAIN (ANALYZE, BUFFERS) EXECUTE`: the plan a prepared statement settles on after five
  executions when it is no worse on average, planned without the values (see
  db/partial_index_predicates.py for why that mattered).

Each plan ends with a summary line: planning and execution time and any sequential scan of a table
holding at least BIG_TABLE_ROWS rows. The summaries are repeated as a table at the end.
"""

from __future__ import annotations

from bench.scheduling.scratch import asyncpg_dsn, scratch_database, use_scratch_environment

SCRATCH = use_scratch_environment("plans")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any, Final  # noqa: E402

import asyncpg  # noqa: E402

from api.checkins.controller import DEFAULT_LIMIT as CHECKIN_PAGE_SIZE  # noqa: E402
from api.notifications.history import HISTORY_DEFAULT_LIMIT  # noqa: E402
from bench.plans.hot_statements import HOT_STATEMENTS, HotStatement, Sample  # noqa: E402
from bench.plans.seed import HistorySize, seed_history  # noqa: E402
from bench.recorded_statements import recorded_statements  # noqa: E402
from bench.scheduling.seed import analyze  # noqa: E402
from db.due_reminders import select_due_slots  # noqa: E402
from db.engine import create_engine  # noqa: E402
from db.notification_inbox import InboxPosition  # noqa: E402
from workers.jobs.reminders import CLAIM_LEASE, MAX_DUE_PER_TICK  # noqa: E402

# A sequential scan of a table this large is what the audit hunted for; below it a scan is often the
# planner's right choice.
BIG_TABLE_ROWS: Final = 100_000
PLAN_MODES: Final = ("custom", "generic")
_PREPARED_NAME: Final = "bench_plans_statement"
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
_TIMING = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")


@dataclass(frozen=True, slots=True)
class PlanSummary:
    statement: str
    mode: str
    planning_ms: float | None
    execution_ms: float | None
    big_seq_scans: tuple[str, ...]

    def line(self) -> str:
        scans = ", ".join(self.big_seq_scans) or "none"
        return (
            f"{self.statement} [{self.mode}]: planning {_ms(self.planning_ms)}, execution "
            f"{_ms(self.execution_ms)}, seq scan on a big table: {scans}"
        )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} ms"


def summarize(statement: str, mode: str, plan: Sequence[str], big_tables: set[str]) -> PlanSummary:
    timings = {match[1]: float(match[2]) for line in plan if (match := _TIMING.search(line))}
    scans = sorted({table for line in plan for table in _SEQ_SCAN.findall(line) if table in big_tables})
    return PlanSummary(statement, mode, timings.get("Planning"), timings.get("Execution"), tuple(scans))


async def custom_plan(connection: asyncpg.Connection, statement: str, parameters: Sequence[Any]) -> list[str]:
    transaction = connection.transaction()
    await transaction.start()
    try:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
    finally:
        await transaction.rollback()
    return [row[0] for row in rows]


async def generic_plan(
    connection: asyncpg.Connection, statement: str, parameters: Sequence[Any]
) -> list[str]:
    """The statement PREPAREd as the driver sent it, its values rendered by PostgreSQL itself as literals
    of the types the PREPARE inferred, and run once under force_generic_plan."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE {_PREPARED_NAME} AS {statement}")
        types = await connection.fetchval(
            "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1", _PREPARED_NAME
        )
        literals = [
            f"{await connection.fetchval(f'SELECT quote_nullable($1::{kind}::text)', value)}::{kind}"
            for kind, value in zip(types, parameters, strict=True)
        ]
        arguments = f"({', '.join(literals)})" if literals else ""
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {_PREPARED_NAME}{arguments}")
    finally:
        await transaction.rollback()
        await connection.execute(f"DEALLOCATE {_PREPARED_NAME}")
    return [row[0] for row in rows]


async def big_tables(connection: asyncpg.Connection) -> set[str]:
    rows = await connection.fetch(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        " AND reltuples >= $1",
        BIG_TABLE_ROWS,
    )
    return {row["relname"] for row in rows}


async def table_counts(connection: asyncpg.Connection) -> str:
    tables = ("users", "goals", "reminder_slots", "check_ins", "notification_history", "push_deliveries")
    counts = [f"{await connection.fetchval(f'SELECT count(*) FROM {table}'):,} {table}" for table in tables]
    return ", ".join(counts)


async def pick_sample(connection: asyncpg.Connection, engine_url: str, now: datetime) -> Sample:
    """A goal with its year of history, keyset positions one page deep, and the slots due at `now`."""
    goal = await connection.fetchrow("SELECT user_id, id FROM goals ORDER BY id LIMIT 1")
    checkin_position = await connection.fetchrow(
        "SELECT check_in_date, id FROM check_ins WHERE goal_id = $1"
        " ORDER BY check_in_date DESC, id DESC OFFSET $2 LIMIT 1",
        goal["id"],
        CHECKIN_PAGE_SIZE - 1,
    )
    inbox_position = await connection.fetchrow(
        "SELECT sent_at, id FROM notification_history WHERE user_id = $1"
        " ORDER BY sent_at DESC, id DESC OFFSET $2 LIMIT 1",
        goal["user_id"],
        HISTORY_DEFAULT_LIMIT - 1,
    )
    engine = create_engine(engine_url, process_name="bench-plans", pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as engine_connection:
            due = await select_due_slots(
                engine_connection, now=now, lease=CLAIM_LEASE, limit=MAX_DUE_PER_TICK
            )
    finally:
        await engine.dispose()
    return Sample(
        now=now,
        user_id=goal["user_id"],
        goal_id=goal["id"],
        checkin_after=(checkin_position["check_in_date"], checkin_position["id"]),
        inbox_after=InboxPosition(inbox_position["sent_at"], inbox_position["id"]),
        due_slot_ids=[slot.slot_id for slot in due],
    )


async def record(engine_url: str, statement: HotStatement, sample: Sample) -> list[tuple[str, Any]]:
    """What the statement's function sends, run once in a transaction that is rolled back."""
    engine = create_engine(engine_url, process_name="bench-plans", pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            with recorded_statements(engine) as recorded:
                transaction = await connection.begin()
                await statement.run(connection, sample)
                await transaction.rollback()
    finally:
        await engine.dispose()
    return recorded


async def explain_all(url: str, sample: Sample, modes: Sequence[str]) -> list[PlanSummary]:
    summaries = []
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = await big_tables(connection)
        print(f"tables of at least {BIG_TABLE_ROWS:,} rows: {', '.join(sorted(tables))}")
        for statement in HOT_STATEMENTS:
            recorded = await record(url, statement, sample)
            for index, (sql, parameters) in enumerate(recorded, start=1):
                name = statement.name if len(recorded) == 1 else f"{statement.name} ({index}/{len(recorded)})"
                print(f"\n=== {name}\n{sql}")
                for mode in modes:
                    explain = custom_plan if mode == "custom" else generic_plan
                    plan = await explain(connection, sql, parameters or ())
                    summary = summarize(name, mode, plan, tables)
                    print(f"--- {mode} plan")
                    print("\n".join(f"    {line}" for line in plan))
                    print(summary.line())
                    summaries.append(summary)
    finally:
        await connection.close()
    return summaries


def print_table(summaries: Sequence[PlanSummary]) -> None:
    print("\n| statement | plan | planning | execution | seq scan on a big table |")
    print("|---|---|---|---|---|")
    for summary in summaries:
        scans = ", ".join(summary.big_seq_scans) or "none"
        print(
            f"| {summary.statement} | {summary.mode} | {_ms(summary.planning_ms)} |"
            f" {_ms(summary.execution_ms)} | {scans} |"
        )


async def run(size: HistorySize, modes: Sequence[str]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with scratch_database(SCRATCH) as url:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            started = time.perf_counter()
            await seed_history(connection, size, now)
            seeded = time.perf_counter() - started
            await analyze(connection)
            print(f"seeded {await table_counts(connection)} in {seeded:.1f} s (then VACUUM ANALYZE)")
            sample = await pick_sample(connection, url, now)
        finally:
            await connection.close()
        print(f"now {now.isoformat()}, {len(sample.due_slot_ids)} reminder slots due")
        summaries = await explain_all(url, sample, modes)
        print_table(summaries)
        if any(summary.big_seq_scans for summary in summaries):
            print("\nA sequential scan of a big table appears above.")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plans.explain")
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--goals-per-user", type=int, default=2)
    parser.add_argument("--days", type=int, default=365, help="days of answered check-ins and inbox rows")
    parser.add_argument("--notices-per-day", type=int, default=1, help="inbox rows per user and day")
    parser.add_argument("--delivery-days", type=int, default=365, help="days of inbox rows with a delivery")
    parser.add_argument("--pending-deliveries", type=int, default=500, help="deliveries due at the instant")
    parser.add_argument("--plans", choices=("custom", "generic", "both"), default="both")
    arguments = parser.parse_args()
    size = HistorySize(
        users=arguments.users,
        goals_per_user=arguments.goals_per_user,
        days=arguments.days,
        notices_per_day=arguments.notices_per_day,
        delivery_days=arguments.delivery_days,
        pending_deliveries=arguments.pending_deliveries,
    )
    modes = PLAN_MODES if arguments.plans == "both" else (arguments.plans,)
    asyncio.run(run(size, modes))


if __name__ == "__main__":
    main()
