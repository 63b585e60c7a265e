"""Small record sets kept beside the products in the same database (conversations, pipeline
runs and leases), each on a connection of its own, opened, checked and closed by the same
`SqliteConnection` / `MongoConnection` as the products store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.settings import Settings
from storage.mongo.connection import MongoConnection
from storage.sqlite.connection import SqliteConnection


def mongo_location(settings: Settings) -> tuple[str, str] | None:
    """(URI, database) when the store is MongoDB; None for the SQLite file."""
    uri = settings.store.mongodb_uri
    if settings.store_backend == "mongodb" and uri is not None:
        return uri.get_secret_value(), settings.store.mongodb_database
    return None


class SqliteTables:
    """Tables in the SQLite store's file (WAL: readers never wait; writes take turns)."""

    what = "records"  # for messages: "Cannot open <what> at ..."
    schema = ""

    def __init__(self, path: Path, timeout_s: float = 10.0) -> None:
        self._sql = SqliteConnection(path, timeout_s, what=self.what)

    async def initialize(self) -> None:
        await self._sql.open(self.schema)

    async def close(self) -> None:
        await self._sql.close()


class MongoCollections:
    """Collections in the MongoDB store's database, on a client of their own."""

    what = "records"

    def __init__(self, uri: str, database: str, timeout_s: float = 10.0) -> None:
        self._mongo = MongoConnection(uri, database, timeout_s, what=self.what)

    async def _prepare(self, db: Any) -> None:
        """Create indexes; runs once, on `initialize()`."""

    async def initialize(self) -> None:
        await self._mongo.open(self._prepare)

    async def close(self) -> None:
        await self._mongo.close()

    @property
    def _db(self) -> Any:
        return self._mongo.db
