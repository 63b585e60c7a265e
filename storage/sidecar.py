"""Small record sets kept beside the products in the same database (conversations, pipeline
runs and leases): each holds one connection, opened, checked and closed the same way."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from core.errors import StoreError, StoreUnavailableError


class SqliteTables:
    """Tables in the SQLite store's file, on a connection of their own (WAL: readers never
    wait; one connection serves many requests, so its writes take turns)."""

    what = "records"  # for messages: "Cannot open <what> in ..."
    schema = ""

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._db: aiosqlite.Connection | None = None
        self._writing = asyncio.Lock()

    async def initialize(self) -> None:
        if self._db is not None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(self._path, timeout=self._timeout_s, isolation_level=None)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.executescript(self.schema)
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailableError(
                f"Cannot open {self.what} in {self._path}: {exc}. Check that the folder is "
                "writable, or set SUPERSMART_STORE__SQLITE_PATH."
            ) from exc
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreError(f"The {self.what} are not open: call `initialize()` first.")
        return self._db

    async def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        """One statement, taking its turn; the rows it changed."""
        async with self._writing:
            cursor = await self.db.execute(sql, params)
            return cursor.rowcount


class MongoCollections:
    """Collections in the MongoDB store's database, on a client of their own."""

    what = "records"

    def __init__(self, uri: str, database: str, timeout_s: float = 10.0) -> None:
        self._uri = uri
        self._database = database
        self._timeout_ms = int(timeout_s * 1000)
        self._client: Any = None

    async def _prepare(self, db: Any) -> None:
        """Check the server answers (and create indexes); runs once, on `initialize()`."""
        await db.command("ping")

    async def initialize(self) -> None:
        if self._client is not None:
            return
        from pymongo import AsyncMongoClient
        from pymongo.errors import PyMongoError

        client: Any = AsyncMongoClient(
            self._uri, tz_aware=True, serverSelectionTimeoutMS=self._timeout_ms
        )
        try:
            await self._prepare(client[self._database])
        except PyMongoError as exc:
            await client.close()
            raise StoreUnavailableError(
                f"Cannot reach MongoDB for {self.what}: {exc}. Check "
                "SUPERSMART_STORE__MONGODB_URI and that the server is up."
            ) from exc
        self._client = client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def _db(self) -> Any:
        if self._client is None:
            raise StoreError(f"The {self.what} are not open: call `initialize()` first.")
        return self._client[self._database]
