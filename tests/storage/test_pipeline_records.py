"""Pipeline records and leases, on SQLite and on MongoDB: runs kept with their steps, one
lease holder at a time, expired leases taken over."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.runs import PipelineRun, StepRecord, StepStatus
from storage.pipeline_records import (
    MongoPipelineRecords,
    PipelineRecords,
    SqlitePipelineRecords,
    interrupted,
)


def _open(kind: str, tmp_path: Path, request: pytest.FixtureRequest, db: str) -> PipelineRecords:
    if kind == "sqlite":
        return SqlitePipelineRecords(tmp_path / "store.db")
    return MongoPipelineRecords(request.getfixturevalue("mongodb_uri"), db, timeout_s=5)


@pytest.fixture(params=["sqlite", "mongodb"])
async def records(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[PipelineRecords, str]]:
    db = f"test_{uuid.uuid4().hex[:12]}"
    store = _open(request.param, tmp_path, request, db)
    await store.initialize()
    yield store, db
    await store.close()


async def test_runs_are_kept_with_their_steps_newest_first(
    records: tuple[PipelineRecords, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store, db = records
    first = PipelineRun(trigger="schedule", steps=[StepRecord(name="scrape")])
    await store.save_run(first)
    second = PipelineRun(trigger="api", steps=[StepRecord(name="index")])
    await store.save_run(second)
    first.step("scrape").status = StepStatus.DEGRADED
    first.step("scrape").counts = {"products": 12, "failed_chains": ["dia"]}
    first.touch_finished(StepStatus.DEGRADED)
    await store.save_run(first)  # replaced, not duplicated

    assert [r.id for r in await store.list_runs()] == [second.id, first.id]
    await store.close()
    reopened = _open(request.node.callspec.params["records"], tmp_path, request, db)
    await reopened.initialize()
    try:
        again = await reopened.get_run(first.id)
        assert again is not None
        assert again.status == StepStatus.DEGRADED
        assert again.step("scrape").counts == {"products": 12, "failed_chains": ["dia"]}
        assert await reopened.get_run("nope") is None
    finally:
        await reopened.close()
        await store.initialize()  # the fixture closes it


async def test_one_lease_holder_at_a_time(records: tuple[PipelineRecords, str]) -> None:
    store, _ = records
    assert await store.acquire_lease("pipeline", "worker-1", ttl_s=30)
    assert not await store.acquire_lease("pipeline", "worker-2", ttl_s=30)
    assert await store.acquire_lease("pipeline", "worker-1", ttl_s=30)  # renewal
    assert await store.lease_holder("pipeline") == "worker-1"
    assert await store.acquire_lease("other", "worker-2", ttl_s=30)  # leases are per name

    await store.release_lease("pipeline", "worker-2")  # not the holder: nothing happens
    assert await store.lease_holder("pipeline") == "worker-1"
    await store.release_lease("pipeline", "worker-1")
    assert await store.lease_holder("pipeline") is None
    assert await store.acquire_lease("pipeline", "worker-2", ttl_s=30)


async def test_an_expired_lease_is_taken_over(records: tuple[PipelineRecords, str]) -> None:
    store, _ = records
    assert await store.acquire_lease("pipeline", "dead-worker", ttl_s=0.05)
    await asyncio.sleep(0.1)
    assert await store.lease_holder("pipeline") is None
    assert await store.acquire_lease("pipeline", "worker-2", ttl_s=30)
    assert not await store.acquire_lease("pipeline", "dead-worker", ttl_s=30)


async def test_concurrent_claims_have_exactly_one_winner(
    records: tuple[PipelineRecords, str],
) -> None:
    store, _ = records
    wins = await asyncio.gather(
        *(store.acquire_lease("pipeline", f"worker-{i}", ttl_s=30) for i in range(8))
    )
    assert wins.count(True) == 1


def test_a_run_left_running_is_marked_interrupted() -> None:
    run = PipelineRun(
        trigger="schedule",
        steps=[
            StepRecord(name="scrape", status=StepStatus.COMPLETED),
            StepRecord(name="index", status=StepStatus.RUNNING),
            StepRecord(name="train"),
        ],
    )
    interrupted(run)
    assert run.status == StepStatus.INTERRUPTED and run.finished_at is not None
    assert [s.status for s in run.steps] == ["completed", "interrupted", "skipped"]
