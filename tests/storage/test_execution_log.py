"""The execution log's contract on every backend, the part built on its own."""

from __future__ import annotations

from core.domain import ExecutionCounts, ExecutionStatus
from storage.base import ExecutionLog


async def test_executions_are_recorded_finished_and_interrupted(
    execution_log: ExecutionLog,
) -> None:
    log = execution_log
    first = await log.start_execution("scrape:dia", "scrape", note="trial")
    assert first.status is ExecutionStatus.RUNNING and first.counts == ExecutionCounts()
    finished = await log.finish_execution(first.id, ExecutionStatus.COMPLETED)
    assert finished.status is ExecutionStatus.COMPLETED and finished.finished_at is not None
    assert finished.note == "trial"  # finishing without a note keeps the one it had

    stale = await log.start_execution("scrape:dia", "scrape")
    other = await log.start_execution("scrape:consum", "scrape")
    assert await log.interrupt_stale_executions("scrape:dia") == 1
    stale_now = await log.get_execution(stale.id)
    other_now = await log.get_execution(other.id)
    assert stale_now is not None and stale_now.status is ExecutionStatus.INTERRUPTED
    assert stale_now.finished_at is not None
    assert other_now is not None and other_now.status is ExecutionStatus.RUNNING

    listed = await log.list_executions(limit=10)
    assert [e.id for e in listed] == [other.id, stale.id, first.id]  # newest first
    assert [e.id for e in await log.list_executions(limit=2)] == [other.id, stale.id]
    assert [e.id for e in await log.list_executions(source="scrape:consum")] == [other.id]
    assert await log.get_execution("missing") is None


async def test_a_restored_record_is_written_exactly_as_given(execution_log: ExecutionLog) -> None:
    first = await execution_log.start_execution("import:test", "import")
    finished = await execution_log.finish_execution(first.id, ExecutionStatus.FAILED, note="x")
    restored = finished.model_copy(update={"note": "restored", "counts": ExecutionCounts(new=3)})

    await execution_log.record_execution(restored)

    assert await execution_log.get_execution(first.id) == restored
    assert len(await execution_log.list_executions()) == 1  # replaced, not added


async def test_abort_requests_reach_running_executions_only(execution_log: ExecutionLog) -> None:
    log = execution_log
    running = await log.start_execution("dia", "scrape")
    other = await log.start_execution("consum", "scrape")
    done = await log.start_execution("dia", "scrape")
    await log.finish_execution(done.id, ExecutionStatus.COMPLETED)

    assert await log.request_abort("dia") == 1
    assert await log.abort_requested(running.id)
    assert not await log.abort_requested(other.id)
    assert not await log.abort_requested(done.id)
    assert await log.request_abort() == 2  # no source: every running execution
    assert await log.abort_requested(other.id)
