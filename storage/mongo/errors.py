"""`MongoErrorLog`: scrape-error records (the signal that a site changed), per execution."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING

from core.domain import ExecutionCounts, ScrapeError
from storage.mongo.connection import Doc, MongoPart
from storage.mongo.executions import add_counts


class MongoErrorLog(MongoPart):
    async def record_errors(self, execution_id: str, errors: Sequence[ScrapeError]) -> None:
        if not errors:
            return
        await self.db.scrape_errors.insert_many([e.model_dump() for e in errors])
        await add_counts(self.db, execution_id, ExecutionCounts(errors=len(errors)))

    async def list_errors(
        self, execution_id: str | None = None, chain: str | None = None, limit: int = 100
    ) -> list[ScrapeError]:
        query: Doc = {}
        if execution_id:
            query["execution_id"] = execution_id
        if chain:
            query["chain"] = chain
        cursor = self.db.scrape_errors.find(query, {"_id": 0}).sort("_id", ASCENDING).limit(limit)
        return [ScrapeError.model_validate(doc) async for doc in cursor]
