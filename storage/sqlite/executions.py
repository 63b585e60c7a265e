"""`SqliteExecutionLog`: the record of every run (scrape, import, restore), its counters and
its abort flag, in the `executions` table."""

from __future__ import annotations

import aiosqlite

from core.domain import (
    COUNT_FIELDS,
    Execution,
    ExecutionCounts,
    ExecutionStatus,
    new_execution_id,
    utcnow,
)
from core.errors import NotFoundError
from storage.codec import decode_ts, encode_ts
from storage.sqlite.connection import SqliteConnection


class SqlitePart:
    """A part of the store, on the store's one connection."""

    def __init__(self, sql: SqliteConnection) -> None:
        self._sql = sql


class SqliteExecutionLog(SqlitePart):
    async def start_execution(self, source: str, kind: str, note: str | None = None) -> Execution:
        execution = Execution(
            id=new_execution_id(), source=source, kind=kind, started_at=utcnow(), note=note
        )
        await self._sql.write(
            "INSERT INTO executions(id, source, kind, started_at, status, note) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (execution.id, source, kind, encode_ts(execution.started_at), execution.status, note),
        )
        return execution

    async def finish_execution(
        self, execution_id: str, status: ExecutionStatus, note: str | None = None
    ) -> Execution:
        await self._sql.write(
            "UPDATE executions SET status = ?, finished_at = ?, note = COALESCE(?, note) "
            "WHERE id = ?",
            (status, encode_ts(utcnow()), note, execution_id),
        )
        execution = await self.get_execution(execution_id)
        if execution is None:
            raise NotFoundError(f"Execution {execution_id} does not exist.")
        return execution

    async def interrupt_stale_executions(self, source: str) -> int:
        return await self._sql.write(
            "UPDATE executions SET status = ?, finished_at = ?, "
            "note = COALESCE(note || ' ', '') || '(process ended before finishing)' "
            "WHERE source = ? AND status = ?",
            (ExecutionStatus.INTERRUPTED, encode_ts(utcnow()), source, ExecutionStatus.RUNNING),
        )

    async def request_abort(self, source: str | None = None) -> int:
        where = "status = ?" + (" AND source = ?" if source else "")
        return await self._sql.write(
            f"UPDATE executions SET abort_requested = 1 WHERE {where}",
            [ExecutionStatus.RUNNING, *([source] if source else [])],
        )

    async def abort_requested(self, execution_id: str) -> bool:
        row = await self._sql.fetchone(
            "SELECT abort_requested FROM executions WHERE id = ?", (execution_id,)
        )
        return bool(row and row[0])

    async def record_execution(self, execution: Execution) -> None:
        counts = execution.counts
        await self._sql.write(
            f"INSERT OR REPLACE INTO executions(id, source, kind, started_at, finished_at, status, "
            f"note, {', '.join(COUNT_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?, ?, "
            f"{', '.join('?' * len(COUNT_FIELDS))})",
            (
                execution.id,
                execution.source,
                execution.kind,
                encode_ts(execution.started_at),
                encode_ts(execution.finished_at) if execution.finished_at else None,
                execution.status,
                execution.note,
                *(getattr(counts, name) for name in COUNT_FIELDS),
            ),
        )

    async def get_execution(self, execution_id: str) -> Execution | None:
        row = await self._sql.fetchone("SELECT * FROM executions WHERE id = ?", (execution_id,))
        return _execution(row) if row else None

    async def list_executions(self, limit: int = 20, source: str | None = None) -> list[Execution]:
        where, params = ("WHERE source = ?", [source]) if source else ("", [])
        rows = await self._sql.fetchall(
            f"SELECT * FROM executions {where} ORDER BY started_at DESC, id DESC LIMIT ?",
            [*params, limit],
        )
        return [_execution(row) for row in rows]


async def add_counts(db: aiosqlite.Connection, execution_id: str, counts: ExecutionCounts) -> None:
    """Add to an execution's counters, inside the caller's transaction (the writes counted and
    the count are one: an interrupted run leaves counts that match what was stored)."""
    assignments = ", ".join(f"{name} = {name} + ?" for name in COUNT_FIELDS)
    await db.execute(
        f"UPDATE executions SET {assignments} WHERE id = ?",
        [*(getattr(counts, name) for name in COUNT_FIELDS), execution_id],
    )


def _execution(row: aiosqlite.Row) -> Execution:
    return Execution(
        id=row["id"],
        source=row["source"],
        kind=row["kind"],
        started_at=decode_ts(row["started_at"]),
        finished_at=decode_ts(row["finished_at"]) if row["finished_at"] else None,
        status=ExecutionStatus(row["status"]),
        counts=ExecutionCounts(**{name: row[name] for name in COUNT_FIELDS}),
        note=row["note"],
    )
