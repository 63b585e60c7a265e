"""Rebuilding a store from the JSONL data lake: replay every execution, oldest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.domain import ExecutionCounts, ExecutionStatus
from storage.base import ProductStore
from storage.datalake import DataLake


@dataclass
class RestoreSummary:
    executions: int = 0
    products: int = 0
    observations: int = 0
    errors: int = 0


async def restore_from_datalake(
    store: ProductStore,
    lake: DataLake,
    batch_size: int = 1000,
    on_execution: Callable[[int, int], None] | None = None,
) -> RestoreSummary:
    """Replay the lake into `store`. Idempotent: replaying twice gives the same store."""
    summary = RestoreSummary()
    executions = lake.executions()
    for number, execution in enumerate(executions, start=1):
        records = lake.replay(execution.id)
        await store.record_execution(
            execution.model_copy(
                update={
                    "counts": ExecutionCounts(),
                    "finished_at": None,
                    "status": ExecutionStatus.RUNNING,
                }
            )
        )
        for start in range(0, len(records.products), batch_size):
            await store.upsert_products(execution.id, records.products[start : start + batch_size])
        for start in range(0, len(records.observations), batch_size):
            await store.add_price_observations(
                execution.id, records.observations[start : start + batch_size]
            )
        await store.record_errors(execution.id, records.errors)
        # The lake's record is the truth about a finished run; one left 'running' never
        # finished, and the counts of what the replay stored are the best account of it.
        if execution.status is ExecutionStatus.RUNNING:
            await store.finish_execution(
                execution.id, ExecutionStatus.INTERRUPTED, "the run never finished"
            )
        else:
            await store.record_execution(execution)
        summary.executions += 1
        summary.products += len(records.products)
        summary.observations += len(records.observations)
        summary.errors += len(records.errors)
        if on_execution:
            on_execution(number, len(executions))
    return summary
