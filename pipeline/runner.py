"""Running the pipeline: steps in order, each recorded in the store as it starts and ends;
one run at a time per deployment (a lease in the store), abortable.

`PipelineController` is what the API, the scheduler and the CLI use: `start()` claims the
lease and runs in the background, `run()` waits for the end, `abort()` stops the run in
progress (a scrape finishes the products in flight, a training process is stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from core.domain import utcnow
from core.errors import InputError, RunInProgressError, SuperSmartError
from core.runs import STEPS, PipelineRun, StepRecord, StepStatus
from core.settings import Settings
from pipeline.logs import StepLog, capture
from pipeline.steps import STEP_FUNCTIONS, StepContext, StepResult
from pipeline.training import (
    AdapterEvaluator,
    AdapterTrainer,
    SubprocessEvaluator,
    SubprocessTrainer,
)
from retrieval.embedder import Embedder
from storage.base import ProductStore
from storage.pipeline_records import PipelineRecords, interrupted

log = logging.getLogger(__name__)
LEASE = "pipeline"


def ordered_steps(names: Sequence[str]) -> list[str]:
    """The steps asked for, in pipeline order; unknown names are an input error."""
    unknown = sorted(set(names) - set(STEPS))
    if unknown:
        raise InputError(
            f"Unknown pipeline step(s) {', '.join(unknown)}: choose among {', '.join(STEPS)}."
        )
    if not names:
        raise InputError(f"No step to run: choose among {', '.join(STEPS)}.")
    return [name for name in STEPS if name in set(names)]


class PipelineController:
    def __init__(
        self,
        settings: Settings,
        store: ProductStore,
        records: PipelineRecords,
        serving: bool,
        trainer: AdapterTrainer | None = None,
        evaluator: AdapterEvaluator | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self._records = records
        self._serving = serving
        self._trainer = trainer or SubprocessTrainer(settings)
        self._evaluator = evaluator or SubprocessEvaluator(settings)
        self._embedder = embedder
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._task: asyncio.Task[PipelineRun] | None = None
        self._step_task: asyncio.Task[StepResult] | None = None
        self._context: StepContext | None = None
        self._aborted = asyncio.Event()
        self.current: PipelineRun | None = None

    # starting and stopping -------------------------------------------------------------------
    async def start(
        self, steps: Sequence[str], trigger: str, options: dict[str, Any] | None = None
    ) -> PipelineRun:
        """Claim the pipeline and run `steps` in the background; the run record at once."""
        names = ordered_steps(steps)
        if self._task is not None and not self._task.done():
            raise RunInProgressError(self._busy_message(self.holder))
        if not await self._records.acquire_lease(
            LEASE, self.holder, self.settings.pipeline.lease_s
        ):
            holder = await self._records.lease_holder(LEASE)
            raise RunInProgressError(self._busy_message(holder))
        try:
            await self._close_stale_runs()
            run = PipelineRun(
                trigger=trigger,
                host=self.holder,
                options=options or {},
                steps=[StepRecord(name=name) for name in names],
            )
            await self._records.save_run(run)
        except BaseException:
            await self._records.release_lease(LEASE, self.holder)
            raise
        self.current = run
        self._aborted = asyncio.Event()
        self._task = asyncio.create_task(self._execute(run), name=f"pipeline-{run.id}")
        return run

    async def run(
        self, steps: Sequence[str], trigger: str, options: dict[str, Any] | None = None
    ) -> PipelineRun:
        """Start and wait for the end (the CLI)."""
        await self.start(steps, trigger, options)
        assert self._task is not None
        return await self._task

    async def wait(self) -> PipelineRun | None:
        return await self._task if self._task is not None else None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def abort(self) -> bool:
        """Stop the run in progress: gracefully for a scrape, at once for anything else."""
        if not self.running:
            return False
        self._aborted.set()
        context, step = self._context, self._step_task
        if context is not None and context.on_abort is not None:
            context.on_abort()
        elif step is not None:
            step.cancel()
        return True

    async def close(self) -> None:
        """Shutdown: a run in progress is stopped and recorded as interrupted."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _busy_message(self, holder: str | None) -> str:
        return (
            f"A pipeline run is already in progress ({holder or 'another process'}): wait for "
            "it to end, or abort it from the dashboard or with `supersmart scrape --abort`."
        )

    async def _close_stale_runs(self) -> None:
        """We hold the lease, so a run still marked 'running' belongs to a process that died."""
        for run in await self._records.list_runs(limit=50):
            if run.status == StepStatus.RUNNING:
                await self._records.save_run(interrupted(run))

    async def _renew(self) -> None:
        every = self.settings.pipeline.lease_s / 3
        while True:
            await asyncio.sleep(every)
            if not await self._records.acquire_lease(
                LEASE, self.holder, self.settings.pipeline.lease_s
            ):
                log.error("The pipeline lease was lost (the store was unreachable too long)")

    # the run ------------------------------------------------------------------------------
    async def _execute(self, run: PipelineRun) -> PipelineRun:
        renewing = asyncio.create_task(self._renew())
        context = StepContext(
            self.settings,
            self.store,
            run,
            self._trainer,
            self._evaluator,
            self._serving,
            self._records,
            self._embedder,
        )
        status = StepStatus.COMPLETED
        try:
            for record in run.steps:
                if status in (StepStatus.FAILED, StepStatus.ABORTED):
                    record.status = StepStatus.SKIPPED
                    record.message = f"not run: the run was {status}"
                    continue
                result = await self._step(context, record)
                if result.status in (StepStatus.FAILED, StepStatus.ABORTED):
                    status = result.status
                elif result.status == StepStatus.DEGRADED:
                    status = StepStatus.DEGRADED
                if self._aborted.is_set() and status != StepStatus.FAILED:
                    status = StepStatus.ABORTED  # the step ended on its own; no further step
            run.touch_finished(status)
            log.info("Pipeline run %s %s", run.id, status)
        except asyncio.CancelledError:
            interrupted(run)
            raise
        finally:
            renewing.cancel()
            self._context = self._step_task = None
            await asyncio.shield(self._save_and_release(run))
        return run

    async def _save_and_release(self, run: PipelineRun) -> None:
        try:
            await self._records.save_run(run)
        finally:
            await self._records.release_lease(LEASE, self.holder)

    async def _step(self, context: StepContext, record: StepRecord) -> StepResult:
        record.status, record.started_at = StepStatus.RUNNING, utcnow()
        await self._records.save_run(context.run)
        context.log, context.on_abort = StepLog(), None
        self._context = context
        with capture(context.log):
            log.info("Step %s started", record.name)
            self._step_task = asyncio.create_task(STEP_FUNCTIONS[record.name](context))
            try:
                result = await self._step_task
            except asyncio.CancelledError:
                if not self._aborted.is_set():
                    raise  # shutdown: recorded as interrupted by the caller
                result = StepResult(StepStatus.ABORTED, "aborted by the operator")
            except SuperSmartError as exc:
                result = StepResult(StepStatus.FAILED, str(exc))
            except Exception as exc:  # a bug or an outage: the run records it and stops
                log.exception("Step %s failed", record.name)
                result = StepResult(StepStatus.FAILED, f"{type(exc).__name__}: {exc}")
            log.info("Step %s %s: %s", record.name, result.status, result.message)
        record.status, record.message, record.counts = result.status, result.message, result.counts
        record.finished_at, record.log = utcnow(), context.log.text()
        await self._records.save_run(context.run)
        return result
