"""Pipeline runs and leases in the store (SQLite or MongoDB, like the products).

A lease is how one process among many (API workers, a standalone `supersmart schedule`, an
operator's `supersmart pipeline run`, other hosts on a shared MongoDB) gets to run the
pipeline: whoever holds the unexpired `pipeline` lease runs it and renews it while it works;
a holder that dies stops renewing and its lease runs out.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from core.runs import PipelineRun, StepStatus
from core.settings import Settings
from storage.sidecar import MongoCollections, SqliteTables, mongo_location

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pipeline_runs (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pipeline_runs_status ON pipeline_runs(status);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


class PipelineRecords(Protocol):
    async def initialize(self) -> None: ...

    async def close(self) -> None: ...

    async def save_run(self, run: PipelineRun) -> None:
        """Insert or replace the run with all its steps."""

    async def get_run(self, run_id: str) -> PipelineRun | None: ...

    async def list_runs(self, limit: int = 20) -> list[PipelineRun]:
        """Newest first."""

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take (or renew, when `holder` has it) the lease for `ttl_s` seconds; False when
        another holder's lease has not expired."""

    async def release_lease(self, name: str, holder: str) -> None: ...

    async def lease_holder(self, name: str) -> str | None:
        """Who holds an unexpired lease, if anyone."""


def interrupted(run: PipelineRun) -> PipelineRun:
    """A run left 'running' by a process that ended: its open steps marked interrupted."""
    for step in run.steps:
        if not step.status.finished:
            step.status = (
                StepStatus.INTERRUPTED if step.status == StepStatus.RUNNING else StepStatus.SKIPPED
            )
            step.message = step.message or "the process running the pipeline ended"
    run.touch_finished(StepStatus.INTERRUPTED)
    return run


class SqlitePipelineRecords(SqliteTables):
    what = "pipeline records"
    schema = _SCHEMA

    async def save_run(self, run: PipelineRun) -> None:
        await self._sql.write(
            "INSERT OR REPLACE INTO pipeline_runs(id, started_at, status, body) VALUES (?,?,?,?)",
            (run.id, run.started_at.isoformat(), run.status, run.model_dump_json()),
        )

    async def get_run(self, run_id: str) -> PipelineRun | None:
        row = await self._sql.fetchone("SELECT body FROM pipeline_runs WHERE id = ?", (run_id,))
        return PipelineRun.model_validate_json(row[0]) if row else None

    async def list_runs(self, limit: int = 20) -> list[PipelineRun]:
        rows = await self._sql.fetchall(
            "SELECT body FROM pipeline_runs ORDER BY started_at DESC, id DESC LIMIT ?", (limit,)
        )
        return [PipelineRun.model_validate_json(row[0]) for row in rows]

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        now = time.time()
        changed = await self._sql.write(
            "INSERT INTO leases(name, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at "
            "WHERE leases.expires_at < ? OR leases.holder = excluded.holder",
            (name, holder, now + ttl_s, now),
        )
        return changed == 1

    async def release_lease(self, name: str, holder: str) -> None:
        await self._sql.write("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def lease_holder(self, name: str) -> str | None:
        row = await self._sql.fetchone(
            "SELECT holder FROM leases WHERE name = ? AND expires_at >= ?", (name, time.time())
        )
        return str(row[0]) if row else None


class MongoPipelineRecords(MongoCollections):
    what = "pipeline records"

    async def _prepare(self, db: Any) -> None:
        await db.pipeline_runs.create_index("started_at")

    async def save_run(self, run: PipelineRun) -> None:
        body = run.model_dump(mode="json")
        await self._db.pipeline_runs.replace_one(
            {"_id": run.id}, {"_id": run.id, "started_at": body["started_at"], "body": body},
            upsert=True,
        )  # fmt: skip

    async def get_run(self, run_id: str) -> PipelineRun | None:
        doc = await self._db.pipeline_runs.find_one({"_id": run_id})
        return PipelineRun.model_validate(doc["body"]) if doc else None

    async def list_runs(self, limit: int = 20) -> list[PipelineRun]:
        cursor = self._db.pipeline_runs.find().sort([("started_at", -1), ("_id", -1)]).limit(limit)
        return [PipelineRun.model_validate(doc["body"]) async for doc in cursor]

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        from pymongo.errors import DuplicateKeyError

        now = time.time()
        try:
            await self._db.leases.update_one(
                {"_id": name, "$or": [{"expires_at": {"$lt": now}}, {"holder": holder}]},
                {"$set": {"holder": holder, "expires_at": now + ttl_s}},
                upsert=True,
            )
        except DuplicateKeyError:  # the lease exists, held by someone else
            return False
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        await self._db.leases.delete_one({"_id": name, "holder": holder})

    async def lease_holder(self, name: str) -> str | None:
        doc = await self._db.leases.find_one({"_id": name, "expires_at": {"$gte": time.time()}})
        return str(doc["holder"]) if doc else None


def create_pipeline_records(settings: Settings) -> PipelineRecords:
    if (mongo := mongo_location(settings)) is not None:
        return MongoPipelineRecords(*mongo, settings.store.timeout_s)
    return SqlitePipelineRecords(settings.sqlite_path, settings.store.timeout_s)
