"""`SqliteErrorLog`: scrape-error records (the signal that a site changed), per execution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.domain import ExecutionCounts, ScrapeError
from storage.codec import decode_ts, encode_ts
from storage.sqlite.executions import SqlitePart, add_counts


class SqliteErrorLog(SqlitePart):
    async def record_errors(self, execution_id: str, errors: Sequence[ScrapeError]) -> None:
        if not errors:
            return
        async with self._sql.transaction() as db:
            await db.executemany(
                "INSERT INTO scrape_errors(execution_id, chain, reason, message, url, field, "
                "expected, excerpt, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.execution_id,
                        e.chain,
                        e.reason,
                        e.message,
                        e.url,
                        e.field,
                        e.expected,
                        e.excerpt,
                        encode_ts(e.occurred_at),
                    )
                    for e in errors
                ],
            )
            await add_counts(db, execution_id, ExecutionCounts(errors=len(errors)))

    async def list_errors(
        self, execution_id: str | None = None, chain: str | None = None, limit: int = 100
    ) -> list[ScrapeError]:
        clauses: list[str] = []
        params: list[Any] = []
        if execution_id:
            clauses.append("execution_id = ?")
            params.append(execution_id)
        if chain:
            clauses.append("chain = ?")
            params.append(chain)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._sql.fetchall(
            f"SELECT * FROM scrape_errors {where} ORDER BY id LIMIT ?", [*params, limit]
        )
        return [
            ScrapeError(
                execution_id=r["execution_id"],
                chain=r["chain"],
                reason=r["reason"],
                message=r["message"],
                url=r["url"],
                field=r["field"],
                expected=r["expected"],
                excerpt=r["excerpt"],
                occurred_at=decode_ts(r["occurred_at"]),
            )
            for r in rows
        ]
