"""What a process needs to run and steer the pipeline: the run records, the controller and,
where asked for, the scheduler. Opened in the API lifespan or by `supersmart schedule`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.settings import Settings
from pipeline.runner import PipelineController
from pipeline.scheduler import PipelineScheduler
from pipeline.serving import ServingBeacon
from pipeline.training import AdapterEvaluator, AdapterTrainer
from retrieval.embedder import Embedder
from storage.base import ProductStore
from storage.pipeline_records import PipelineRecords, create_pipeline_records

log = logging.getLogger(__name__)


@dataclass
class Operations:
    records: PipelineRecords
    controller: PipelineController
    scheduler: PipelineScheduler | None
    beacon: ServingBeacon | None = None

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        try:
            await self.controller.close()
            if self.beacon is not None:
                await self.beacon.stop()
        finally:
            await self.records.close()


async def open_operations(
    settings: Settings,
    store: ProductStore,
    serving: bool,
    schedule: bool,
    embedder: Embedder | None = None,
    trainer: AdapterTrainer | None = None,
    evaluator: AdapterEvaluator | None = None,
) -> Operations:
    records = create_pipeline_records(settings)
    await records.initialize()
    controller = PipelineController(settings, store, records, serving, trainer, evaluator, embedder)
    scheduler, beacon = None, None
    try:
        if serving:
            beacon = ServingBeacon(records, controller.holder)
            beacon.start()
        if schedule and settings.pipeline.schedule:
            scheduler = PipelineScheduler(controller, records)
            await scheduler.start()
    except BaseException:
        if beacon is not None:
            await beacon.stop()
        await records.close()
        raise
    return Operations(records, controller, scheduler, beacon)
