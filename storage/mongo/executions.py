"""`MongoExecutionLog`: the record of every run, its counters and abort flag (`executions`)."""

from __future__ import annotations

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from core.domain import (
    COUNT_FIELDS,
    Execution,
    ExecutionCounts,
    ExecutionStatus,
    new_execution_id,
    utcnow,
)
from core.errors import NotFoundError
from storage.mongo.connection import Doc, MongoPart


class MongoExecutionLog(MongoPart):
    async def start_execution(self, source: str, kind: str, note: str | None = None) -> Execution:
        execution = Execution(
            id=new_execution_id(), source=source, kind=kind, started_at=utcnow(), note=note
        )
        await self.record_execution(execution)
        return execution

    async def request_abort(self, source: str | None = None) -> int:
        query: Doc = {"status": ExecutionStatus.RUNNING.value}
        if source:
            query["source"] = source
        result = await self.db.executions.update_many(query, {"$set": {"abort_requested": True}})
        return int(result.matched_count)

    async def abort_requested(self, execution_id: str) -> bool:
        doc = await self.db.executions.find_one({"_id": execution_id}, {"abort_requested": 1})
        return bool(doc and doc.get("abort_requested"))

    async def record_execution(self, execution: Execution) -> None:
        doc = execution.model_dump(exclude={"id", "counts"})
        doc.update(execution.counts.model_dump())
        await self.db.executions.replace_one({"_id": execution.id}, doc, upsert=True)

    async def finish_execution(
        self, execution_id: str, status: ExecutionStatus, note: str | None = None
    ) -> Execution:
        update: Doc = {"status": status.value, "finished_at": utcnow()}
        if note is not None:
            update["note"] = note
        await self.db.executions.update_one({"_id": execution_id}, {"$set": update})
        execution = await self.get_execution(execution_id)
        if execution is None:
            raise NotFoundError(f"Execution {execution_id} does not exist.")
        return execution

    async def interrupt_stale_executions(self, source: str) -> int:
        result = await self.db.executions.update_many(
            {"source": source, "status": ExecutionStatus.RUNNING.value},
            {
                "$set": {
                    "status": ExecutionStatus.INTERRUPTED.value,
                    "finished_at": utcnow(),
                    "note": "(process ended before finishing)",
                }
            },
        )
        return int(result.modified_count)

    async def get_execution(self, execution_id: str) -> Execution | None:
        doc = await self.db.executions.find_one({"_id": execution_id})
        return _execution(doc) if doc else None

    async def list_executions(self, limit: int = 20, source: str | None = None) -> list[Execution]:
        query = {"source": source} if source else {}
        cursor = (
            self.db.executions.find(query)
            .sort([("started_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_execution(doc) async for doc in cursor]


async def add_counts(db: AsyncDatabase[Doc], execution_id: str, counts: ExecutionCounts) -> None:
    """Add to an execution's counters (written last in a batch: see `storage.mongo.writes`)."""
    await db.executions.update_one(
        {"_id": execution_id}, {"$inc": {name: getattr(counts, name) for name in COUNT_FIELDS}}
    )


def _execution(doc: Doc) -> Execution:
    return Execution(
        id=doc["_id"],
        source=doc["source"],
        kind=doc["kind"],
        started_at=doc["started_at"],
        finished_at=doc.get("finished_at"),
        status=ExecutionStatus(doc["status"]),
        counts=ExecutionCounts(**{name: doc.get(name, 0) for name in COUNT_FIELDS}),
        note=doc.get("note"),
    )
