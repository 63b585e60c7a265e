"""SQLite transactions under cancellation: a statement already handed to aiosqlite's thread
runs anyway, so what the transaction leaves behind must be what really happened."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from storage.sqlite.connection import SqliteConnection

SCHEMA = "CREATE TABLE IF NOT EXISTS t (n INTEGER);"


async def test_cancelled_during_commit_stays_a_cancellation_and_keeps_what_committed(
    tmp_path: Path,
) -> None:
    sql = SqliteConnection(tmp_path / "store.db")
    await sql.open(SCHEMA)

    def slow_commit(statement: str) -> None:  # runs in aiosqlite's thread, as SQLite works
        if statement == "COMMIT":
            time.sleep(0.5)

    await sql.db.set_trace_callback(slow_commit)

    async def write() -> None:
        async with sql.transaction() as db:
            await db.execute("INSERT INTO t VALUES (1)")

    task = asyncio.create_task(write())
    await asyncio.sleep(0.2)  # COMMIT is queued and running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):  # not "cannot rollback - no transaction"
        await task

    await sql.db.set_trace_callback(lambda _: None)
    assert [tuple(r) for r in await sql.fetchall("SELECT n FROM t")] == [(1,)]  # COMMIT ran
    async with sql.transaction() as db:  # and nothing was left open
        await db.execute("INSERT INTO t VALUES (2)")
    assert len(await sql.fetchall("SELECT n FROM t")) == 2
    await sql.close()
