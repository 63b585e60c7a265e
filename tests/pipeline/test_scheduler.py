"""The schedule: cron in Madrid time (summer time included), one run among many workers, a
run missed while the service was down started when it comes back, bad settings explained."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigurationError
from core.runs import PipelineRun, StepStatus
from core.settings import PipelineSettings, Settings
from pipeline.operations import Operations, open_operations
from pipeline.scheduler import JOB_ID, cron_trigger, last_fire_before, scheduled_run
from storage.factory import create_store
from tests.app.conftest import chat_settings

MADRID = ZoneInfo("Europe/Madrid")


def test_the_nightly_time_is_madrid_time_all_year() -> None:
    trigger = cron_trigger(PipelineSettings(schedule="30 4 * * *"))
    winter = trigger.get_next_fire_time(None, datetime(2026, 11, 21, 12, tzinfo=UTC))
    summer = trigger.get_next_fire_time(None, datetime(2026, 7, 1, 12, tzinfo=UTC))
    assert winter.astimezone(UTC).hour == 3 and summer.astimezone(UTC).hour == 2
    assert winter.astimezone(MADRID).strftime("%H:%M") == "04:30"
    # the night the clocks go forward (29 March 2026) still gets its run at 04:30 CEST
    spring = trigger.get_next_fire_time(None, datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert spring.astimezone(MADRID) == datetime(2026, 3, 29, 4, 30, tzinfo=MADRID)


@pytest.mark.parametrize(
    ("values", "hint"),
    [
        ({"schedule": "every night"}, "crontab"),
        ({"schedule": "30 25 * * *"}, "crontab"),
        ({"timezone": "Madrid"}, "IANA"),
    ],
)
def test_bad_schedule_settings_say_what_to_write(values: dict[str, str], hint: str) -> None:
    with pytest.raises(ConfigurationError, match=hint):
        cron_trigger(PipelineSettings(**values))


def test_last_fire_before_finds_the_run_missed_in_the_window() -> None:
    trigger = cron_trigger(PipelineSettings(schedule="30 4 * * *"))
    now = datetime(2026, 11, 22, 9, 0, tzinfo=MADRID)
    window = timedelta(hours=6)
    assert last_fire_before(trigger, now, window) == datetime(2026, 11, 22, 4, 30, tzinfo=MADRID)
    assert last_fire_before(trigger, now.replace(hour=4, minute=0), window) is None
    assert last_fire_before(trigger, now.replace(hour=11), window) is None  # too late now


async def _operations(settings: Settings, schedule: bool) -> Operations:
    store = create_store(settings)
    await store.initialize()
    return await open_operations(settings, store, serving=False, schedule=schedule)


async def _close(*all_ops: Operations) -> None:
    for ops in all_ops:
        await ops.close()
        await ops.controller.store.close()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return chat_settings(data_dir, pipeline={"steps": ["index"], "schedule": "* * * * *"})


@pytest.fixture
async def workers(settings: Settings) -> AsyncIterator[list[Operations]]:
    ops = [await _operations(settings, schedule=False) for _ in range(3)]
    yield ops
    await _close(*ops)


async def test_several_workers_fire_together_and_one_runs(
    settings: Settings, workers: list[Operations]
) -> None:
    (settings.index_path / "CURRENT").unlink()  # the index step has a second of work to do
    await asyncio.gather(*(scheduled_run(ops.controller) for ops in workers))
    finished = [await ops.controller.wait() for ops in workers]
    [run] = [r for r in finished if r is not None]
    assert run.status == StepStatus.COMPLETED and run.step("index").status == "completed"
    assert [r.id for r in await workers[0].records.list_runs()] == [run.id]
    # the lease is free again: the next night any worker may run it
    await scheduled_run(workers[2].controller)
    assert workers[2].controller.running
    await workers[2].controller.wait()


async def test_a_run_missed_while_down_starts_when_the_scheduler_starts(
    settings: Settings,
) -> None:
    first = await _operations(settings, schedule=True)
    try:  # a fresh install waits for its first time
        assert not first.controller.running
        assert first.scheduler is not None and first.scheduler.next_run is not None
        job = first.scheduler._scheduler.get_job(JOB_ID)
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time == settings.pipeline.misfire_grace_s
        old = PipelineRun(trigger="schedule", started_at=datetime.now(UTC) - timedelta(days=2))
        old.touch_finished(StepStatus.COMPLETED)
        await first.records.save_run(old)
    finally:
        await _close(first)

    again = await _operations(settings, schedule=True)  # the service comes back two days on
    try:
        assert again.controller.running
        run = await again.controller.wait()
        assert run is not None and run.trigger == "schedule (catch-up)"
    finally:
        await _close(again)


async def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(
    settings: Settings, workers: list[Operations]
) -> None:
    dead = PipelineRun(trigger="schedule", host="gone:1")
    await workers[0].records.save_run(dead)
    run = await workers[1].controller.run(["index"], "cli")
    stale = await workers[1].records.get_run(dead.id)
    assert stale is not None and stale.status == StepStatus.INTERRUPTED
    assert run.status == StepStatus.COMPLETED
