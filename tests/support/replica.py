"""A migrated primary and its streaming replica, private to the test session (tools/pg_cluster.py):
the read-replica tests pause and stop the replica, which the shared server must never see."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.database import run_alembic
from tools.pg_cluster import Cluster, private_cluster, streaming_replica

DATABASE = "fitnudge"


@dataclass(frozen=True, slots=True)
class ReplicaPair:
    primary: Cluster
    replica: Cluster

    @property
    def primary_url(self) -> str:
        return self.primary.url_of(DATABASE)

    @property
    def replica_url(self) -> str:
        return self.replica.url_of(DATABASE)

    def pause_replay(self) -> None:
        """The replica keeps receiving WAL but applies none: it lags, deterministically."""
        self.replica.query("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.replica.query("SELECT pg_wal_replay_resume()")

    def wait_replayed(self) -> None:
        """Until the replica has applied everything the primary has written so far."""
        position = self.primary.query("SELECT pg_current_wal_insert_lsn()")
        self.replica.wait_for(f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn")

    def ensure_streaming(self) -> None:
        """Back to normal after a test paused or stopped the replica."""
        if not self.replica.is_running():
            self.replica.start()
        self.resume_replay()
        self.replica.wait_streaming()


@contextmanager
def replica_pair() -> Iterator[ReplicaPair]:
    # Migrated before the base backup, so the replica starts with the schema instead of replaying it.
    with private_cluster() as primary:
        primary.query(f'CREATE DATABASE "{DATABASE}"')
        result = run_alembic("upgrade", "head", database_url=primary.url_of(DATABASE))
        assert result.returncode == 0, result.stderr
        with streaming_replica(primary) as replica:
            yield ReplicaPair(primary, replica)
