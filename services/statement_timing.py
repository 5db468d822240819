"""Time every SQL statement an engine runs, into fitnudge_db_statement_seconds (services/metrics.py).

The start is kept on the statement's own execution context, so a statement that fails leaves nothing
behind, and concurrent statements on one process never mix their clocks.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.metrics import DB_STATEMENT_SECONDS

__all__ = ["time_statements"]

_STARTED = "_fitnudge_started"


def time_statements(engine: AsyncEngine, process: str) -> None:
    histogram = DB_STATEMENT_SECONDS.labels(process)

    def start(_conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: Any) -> None:
        setattr(context, _STARTED, time.perf_counter())

    def stop(_conn: Any, _cursor: Any, _statement: Any, _params: Any, context: Any, _many: Any) -> None:
        started = getattr(context, _STARTED, None)
        if started is not None:
            histogram.observe(time.perf_counter() - started)

    event.listen(engine.sync_engine, "before_cursor_execute", start)
    event.listen(engine.sync_engine, "after_cursor_execute", stop)
