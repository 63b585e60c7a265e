"""Pipeline records and leases, on SQLite and on MongoDB: runs kept with their steps, one
lease holder at a time, expired leases taken over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.runs import PipelineRun, StepRecord, StepStatus
from core.settings import Settings
from storage.pipeline_records import PipelineRecords, create_pipeline_records, interrupted


@pytest.fixture
async def records(backend_settings: Settings) -> AsyncIterator[PipelineRecords]:
    store = create_pipeline_records(backend_settings)
    await store.initialize()
    yield store
    await store.close()


async def test_runs_are_kept_with_their_steps_newest_first(
    records: PipelineRecords, backend_settings: Settings
) -> None:
    first = PipelineRun(trigger="schedule", steps=[StepRecord(name="scrape")])
    await records.save_run(first)
    second = PipelineRun(trigger="api", steps=[StepRecord(name="index")])
    await records.save_run(second)
    first.step("scrape").status = StepStatus.DEGRADED
    first.step("scrape").counts = {"products": 12, "failed_chains": ["dia"]}
    first.touch_finished(StepStatus.DEGRADED)
    await records.save_run(first)  # replaced, not duplicated

    assert [r.id for r in await records.list_runs()] == [second.id, first.id]
    await records.close()
    reopened = create_pipeline_records(backend_settings)
    await reopened.initialize()
    try:
        again = await reopened.get_run(first.id)
        assert again is not None
        assert again.status == StepStatus.DEGRADED
        assert again.step("scrape").counts == {"products": 12, "failed_chains": ["dia"]}
        assert await reopened.get_run("nope") is None
    finally:
        await reopened.close()
        await records.initialize()  # the fixture closes it


async def test_one_lease_holder_at_a_time(records: PipelineRecords) -> None:
    assert await records.acquire_lease("pipeline", "worker-1", ttl_s=30)
    assert not await records.acquire_lease("pipeline", "worker-2", ttl_s=30)
    assert await records.acquire_lease("pipeline", "worker-1", ttl_s=30)  # renewal
    assert await records.lease_holder("pipeline") == "worker-1"
    assert await records.acquire_lease("other", "worker-2", ttl_s=30)  # leases are per name

    await records.release_lease("pipeline", "worker-2")  # not the holder: nothing happens
    assert await records.lease_holder("pipeline") == "worker-1"
    await records.release_lease("pipeline", "worker-1")
    assert await records.lease_holder("pipeline") is None
    assert await records.acquire_lease("pipeline", "worker-2", ttl_s=30)


async def test_an_expired_lease_is_taken_over(records: PipelineRecords) -> None:
    assert await records.acquire_lease("pipeline", "dead-worker", ttl_s=0.05)
    await asyncio.sleep(0.1)
    assert await records.lease_holder("pipeline") is None
    assert await records.acquire_lease("pipeline", "worker-2", ttl_s=30)
    assert not await records.acquire_lease("pipeline", "dead-worker", ttl_s=30)


async def test_concurrent_claims_have_exactly_one_winner(
    records: PipelineRecords,
) -> None:
    wins = await asyncio.gather(
        *(records.acquire_lease("pipeline", f"worker-{i}", ttl_s=30) for i in range(8))
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
