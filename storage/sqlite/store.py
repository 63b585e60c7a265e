"""`SqliteProductStore`: the embedded default store (aiosqlite, WAL, FTS5), its three parts
on one connection to one file."""

from __future__ import annotations

from pathlib import Path

from storage.sqlite.catalogue import SqliteCatalogue
from storage.sqlite.connection import SqliteConnection
from storage.sqlite.errors import SqliteErrorLog
from storage.sqlite.executions import SqliteExecutionLog
from storage.sqlite.schema import MIGRATIONS, SCHEMA


class SqliteProductStore(SqliteExecutionLog, SqliteErrorLog, SqliteCatalogue):
    """Product store in one SQLite file. One writer at a time; readers never block (WAL)."""

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        super().__init__(SqliteConnection(path, timeout_s))

    async def initialize(self) -> None:
        await self._sql.open(SCHEMA, MIGRATIONS)

    async def close(self) -> None:
        await self._sql.close()
