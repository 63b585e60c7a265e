"""The nightly schedule: APScheduler 3's `AsyncIOScheduler` with a cron trigger in an explicit
time zone (Europe/Madrid by default), inside `supersmart serve` or `supersmart schedule`.

Every process may run a scheduler (several API workers, a standalone one): when the time
comes each tries to claim the pipeline lease and only one runs. Missed runs: the trigger
coalesces runs missed while the loop was busy (within `misfire_grace_s`), and on start a
scheduler that finds the last scheduled time passed without a run starts one now.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ConfigurationError, RunInProgressError
from core.settings import PipelineSettings
from pipeline.runner import PipelineController
from storage.pipeline_records import PipelineRecords

log = logging.getLogger(__name__)
JOB_ID = "nightly-pipeline"


def cron_trigger(settings: PipelineSettings) -> Any:
    from apscheduler.triggers.cron import CronTrigger

    try:
        zone = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(
            f"Unknown time zone {settings.timezone!r} in SUPERSMART_PIPELINE__TIMEZONE: use an "
            "IANA name such as Europe/Madrid."
        ) from exc
    try:
        return CronTrigger.from_crontab(settings.schedule or "", timezone=zone)
    except ValueError as exc:
        raise ConfigurationError(
            f"SUPERSMART_PIPELINE__SCHEDULE={settings.schedule!r} is not a crontab line "
            f"({exc}): write 'minute hour day month weekday', e.g. '30 4 * * *'."
        ) from exc


def last_fire_before(trigger: Any, now: datetime, window: timedelta) -> datetime | None:
    """The latest time the trigger fired in (now - window, now], if any."""
    fire, last = trigger.get_next_fire_time(None, now - window), None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


async def scheduled_run(controller: PipelineController, trigger: str = "schedule") -> None:
    """The job the scheduler calls (importable by name)."""
    try:
        run = await controller.start(controller.settings.pipeline.steps, trigger)
        log.info("Scheduled pipeline run %s started", run.id)
    except RunInProgressError as exc:
        log.info("Scheduled pipeline run not started here: %s", exc)


class PipelineScheduler:
    def __init__(self, controller: PipelineController, records: PipelineRecords) -> None:
        self._controller = controller
        self._records = records
        self._settings = controller.settings.pipeline
        self._scheduler: Any = None

    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        trigger = cron_trigger(self._settings)
        scheduler = AsyncIOScheduler(timezone=trigger.timezone)
        scheduler.add_job(
            scheduled_run,
            trigger,
            args=[self._controller],
            id=JOB_ID,
            name="scrape -> index -> dataset -> train -> evaluate -> promote",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self._settings.misfire_grace_s,
            replace_existing=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("Pipeline scheduled '%s' (%s)", self._settings.schedule, self._settings.timezone)
        await self._catch_up(trigger)

    async def _catch_up(self, trigger: Any) -> None:
        """Start the run that was missed while no scheduler ran (only once a schedule has run
        here before: a fresh install waits for its first scheduled time)."""
        now = datetime.now(trigger.timezone)
        missed = last_fire_before(trigger, now, timedelta(seconds=self._settings.misfire_grace_s))
        runs = [r for r in await self._records.list_runs(limit=50) if r.trigger.startswith("sch")]
        if missed is None or not runs or runs[0].started_at >= missed:
            return
        log.info("The scheduled run of %s was missed: starting it now", missed.isoformat())
        await scheduled_run(self._controller, trigger="schedule (catch-up)")

    @property
    def next_run(self) -> datetime | None:
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(JOB_ID)
        return job.next_run_time if job else None

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
