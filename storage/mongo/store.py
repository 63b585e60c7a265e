"""`MongoProductStore`: the shared store for deployments, on PyMongo's async client (the
official successor of `motor`, which MongoDB deprecated): its three parts on one client."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from storage.mongo.catalogue import MongoCatalogue
from storage.mongo.connection import Doc, MongoConnection
from storage.mongo.errors import MongoErrorLog
from storage.mongo.executions import MongoExecutionLog


class MongoProductStore(MongoExecutionLog, MongoErrorLog, MongoCatalogue):
    """Product store in a MongoDB database (one collection per record type)."""

    def __init__(self, uri: str, database: str, timeout_s: float = 10.0) -> None:
        super().__init__(MongoConnection(uri, database, timeout_s))

    async def initialize(self) -> None:
        await self._mongo.open(create_indexes)

    async def close(self) -> None:
        await self._mongo.close()


async def create_indexes(db: AsyncDatabase[Doc]) -> None:
    await db.products.create_index([("chain", ASCENDING), ("category", ASCENDING)])
    await db.products.create_index("ean")
    await db.products.create_index("updated_at")
    await db.products.create_index("search_terms")
    await db.price_observations.create_index(
        [("product_id", ASCENDING), ("observed_at", ASCENDING)], unique=True
    )
    await db.price_observations.create_index("observed_at")
    await db.executions.create_index([("source", ASCENDING), ("started_at", DESCENDING)])
    await db.scrape_errors.create_index("execution_id")
    await db.scrape_errors.create_index([("chain", ASCENDING), ("occurred_at", ASCENDING)])
