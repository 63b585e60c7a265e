"""`MongoConnection`: one PyMongo async client to the store's database, opened, checked and
closed the same way for every collection set in it (the products store, conversations,
pipeline records). PyMongo is imported when a connection opens, so the SQLite default runs
without the `mongo` extra."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from core.errors import StoreError, StoreUnavailableError

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]
Prepare = Callable[["AsyncDatabase[Doc]"], Awaitable[None]]


class MongoConnection:
    def __init__(
        self, uri: str, database: str, timeout_s: float = 10.0, what: str = "the MongoDB store"
    ) -> None:
        self._uri = uri
        self._database = database
        self._timeout_ms = int(timeout_s * 1000)
        self._what = what  # for messages: "Cannot reach MongoDB for <what>"
        self._client: AsyncMongoClient[Doc] | None = None

    async def open(self, prepare: Prepare | None = None) -> None:
        """Connect, check the server answers and `prepare` the database (its indexes);
        idempotent."""
        if self._client is not None:
            return
        from pymongo import AsyncMongoClient
        from pymongo.errors import PyMongoError

        client: AsyncMongoClient[Doc] = AsyncMongoClient(
            self._uri,
            tz_aware=True,
            serverSelectionTimeoutMS=self._timeout_ms,
            connectTimeoutMS=self._timeout_ms,
        )
        try:
            db = client[self._database]
            await db.command("ping")
            if prepare is not None:
                await prepare(db)
        except PyMongoError as exc:
            await client.close()
            raise StoreUnavailableError(
                f"Cannot reach MongoDB for {self._what}: {exc}. Check that the server is "
                "running and SUPERSMART_STORE__MONGODB_URI is right, or unset it to use SQLite."
            ) from exc
        self._client = client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    @property
    def db(self) -> AsyncDatabase[Doc]:
        if self._client is None:
            raise StoreError(f"{self._what.capitalize()} is not open: call `initialize()` first.")
        return self._client[self._database]


class MongoPart:
    """A part of a store, on the store's one client."""

    def __init__(self, mongo: MongoConnection) -> None:
        self._mongo = mongo

    @property
    def db(self) -> AsyncDatabase[Doc]:
        return self._mongo.db
