"""Pipeline runs: the nightly refresh (scrape -> index -> dataset -> train -> evaluate ->
promote) or any subset of it, with one record per step.

A run is stored as one document: its steps are few and always read together, and the
dashboard lists runs, never steps alone.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, get_args

from pydantic import BaseModel, Field

from core.domain import new_execution_id, utcnow
from core.settings import StepName

STEPS: tuple[str, ...] = get_args(StepName)


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    DEGRADED = "degraded"  # finished, but part of it failed (one chain's scrape)
    SKIPPED = "skipped"  # nothing to do (data unchanged) or not allowed here (training)
    FAILED = "failed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"  # the process ended while it ran

    @property
    def finished(self) -> bool:
        return self not in (StepStatus.PENDING, StepStatus.RUNNING)


class StepRecord(BaseModel):
    name: str
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: dict[str, Any] = Field(
        default_factory=dict, description="What the step did (products, passages, accuracy...)."
    )
    message: str = Field("", description="One line for a person: what happened and why.")
    log: str = Field("", description="The last lines the step logged (cut short).")

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class PipelineRun(BaseModel):
    id: str = Field(default_factory=new_execution_id)
    trigger: str = Field(description="'schedule', 'api', 'dashboard' or 'cli'.")
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: StepStatus = StepStatus.RUNNING
    host: str = Field("", description="Which process ran it (host:pid).")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Chains to scrape, adapter version to promote..."
    )
    steps: list[StepRecord] = Field(default_factory=list)

    def step(self, name: str) -> StepRecord:
        for record in self.steps:
            if record.name == name:
                return record
        raise KeyError(name)

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def touch_finished(self, status: StepStatus) -> None:
        self.status = status
        self.finished_at = utcnow()
