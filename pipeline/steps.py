"""The six pipeline steps. Each takes the run's context and returns what it did; none of them
leaves the service without an index or an adapter when it fails: the index is swapped in only
once complete, and an adapter is promoted only by the promote step, after the gate.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from core.domain import ExecutionStatus
from core.runs import PipelineRun, StepStatus
from core.settings import Settings
from finetune.job import Prepared
from pipeline.logs import StepLog
from pipeline.serving import serving_here
from pipeline.training import AdapterEvaluator, AdapterTrainer
from retrieval.embedder import Embedder
from storage.base import ProductStore
from storage.pipeline_records import PipelineRecords


@dataclass
class StepResult:
    status: StepStatus
    message: str
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepContext:
    settings: Settings
    store: ProductStore
    run: PipelineRun
    trainer: AdapterTrainer
    evaluator: AdapterEvaluator
    serving: bool  # inside the process that answers shoppers
    records: PipelineRecords | None = None  # to see whether an API serves on this host
    embedder: Embedder | None = None
    log: StepLog = field(default_factory=StepLog)
    state: dict[str, Any] = field(default_factory=dict)  # what a step leaves for the next
    on_abort: Callable[[], None] | None = None  # a graceful stop for the step in progress

    def option(self, name: str, default: Any = None) -> Any:
        return self.run.options.get(name, default)


HOW_TO_TRAIN = (
    "Run `supersmart pipeline run --steps dataset,train,evaluate,promote` (or `supersmart "
    "schedule`) on a machine that serves no answers, or set "
    "SUPERSMART_PIPELINE__TRAIN_WHILE_SERVING=true."
)


async def cpu_heavy_refusal(ctx: StepContext) -> str | None:
    """Why training or evaluation must not run here now, if it must not."""
    if ctx.settings.pipeline.train_while_serving:
        return None
    if ctx.serving:
        return (
            "skipped in the serving process: training and evaluation would take the cores "
            "that answer shoppers. " + HOW_TO_TRAIN
        )
    holder = await serving_here(ctx.records) if ctx.records is not None else None
    if holder is not None:
        return (
            f"skipped: an API process on this machine ({holder}) answers shoppers and "
            "training would take its cores. " + HOW_TO_TRAIN
        )
    return None


async def scrape(ctx: StepContext) -> StepResult:
    from ingestion.scrape_job import ScrapeJob
    from storage.factory import create_datalake

    settings = ctx.settings
    chains = ctx.option("chains") or settings.pipeline.chains or None
    async with ScrapeJob(
        ctx.store, create_datalake(settings), settings.scrape, settings.data_dir / "scrape.lock"
    ) as job:
        ctx.on_abort = job.abort
        runs = await job.run(chains)
    by_status: dict[str, list[str]] = {}
    for chain_run in runs:
        by_status.setdefault(chain_run.execution.status, []).append(chain_run.chain)
    counts = {
        "chains": len(runs),
        "products": sum(r.products for r in runs),
        "errors": sum(r.errors for r in runs),
        "executions": [r.execution.id for r in runs],
        **{f"{status}_chains": names for status, names in by_status.items()},
    }
    summary = ", ".join(
        f"{r.chain} {r.execution.status} ({r.products} products, {r.errors} errors)" for r in runs
    )
    if job.runner.aborted:
        return StepResult(StepStatus.ABORTED, f"aborted by the operator: {summary}", counts)
    failed = by_status.get(ExecutionStatus.FAILED, [])
    if runs and len(failed) == len(runs):
        return StepResult(StepStatus.FAILED, f"every chain failed: {summary}", counts)
    if failed or ExecutionStatus.DEGRADED in by_status:
        return StepResult(StepStatus.DEGRADED, f"not every chain was scraped: {summary}", counts)
    return StepResult(StepStatus.COMPLETED, summary or "no chain to scrape", counts)


async def index(ctx: StepContext) -> StepResult:
    from retrieval.build import build_index, store_state
    from retrieval.index import read_manifest

    in_service = read_manifest(ctx.settings.index_path)
    state = await store_state(ctx.store)
    if in_service and in_service.store_state == state and not ctx.option("force"):
        return StepResult(
            StepStatus.SKIPPED,
            f"the store did not change since index {in_service.version} ({state})",
            {"version": in_service.version},
        )
    report = await build_index(ctx.store, ctx.settings, embedder=ctx.embedder)
    manifest = report.manifest
    return StepResult(
        StepStatus.COMPLETED,
        f"index {manifest.version} in service: {manifest.products} products, "
        f"{manifest.passages} passages ({report.embedded} embedded, {report.reused} reused)",
        {
            "version": manifest.version,
            "previous": in_service.version if in_service else None,
            "products": manifest.products,
            "passages": manifest.passages,
            "embedded": report.embedded,
            "seconds": round(report.seconds, 1),
        },
    )


def _train_config(settings: Settings) -> Any:
    from finetune.config import load_config

    return load_config(settings.pipeline.train_config)


async def _prepared(ctx: StepContext) -> Prepared:
    from finetune.job import prepare

    if "prepared" not in ctx.state:
        config = _train_config(ctx.settings)
        ctx.state["prepared"] = await prepare(ctx.settings, config, ctx.embedder)
    prepared: Prepared = ctx.state["prepared"]
    return prepared


async def dataset(ctx: StepContext) -> StepResult:
    prepared = await _prepared(ctx)
    counts = {"version": prepared.folder.name, **prepared.report.examples}
    if prepared.trained:
        return StepResult(
            StepStatus.COMPLETED,
            f"data unchanged: adapter {prepared.folder.name} was trained on exactly these examples",
            counts | {"unchanged": True},
        )
    return StepResult(
        StepStatus.COMPLETED,
        f"{prepared.report.examples.get('train', 0)} training and "
        f"{prepared.report.examples.get('validation', 0)} validation examples for version "
        f"{prepared.folder.name}",
        counts | {"unchanged": False},
    )


async def train(ctx: StepContext) -> StepResult:
    prepared = await _prepared(ctx)
    name = prepared.folder.name
    if prepared.trained:
        return StepResult(
            StepStatus.SKIPPED, f"data unchanged: {name} is already trained", {"version": name}
        )
    if refusal := await cpu_heavy_refusal(ctx):
        return StepResult(StepStatus.SKIPPED, refusal, {"version": name})
    metrics = await ctx.trainer.train(name, ctx.log)
    ctx.state["candidate"] = name
    losses = metrics.get("train_losses") or []
    loss = f", loss {losses[0][1]:.3f} -> {losses[-1][1]:.3f}" if losses else ""
    return StepResult(
        StepStatus.COMPLETED,
        f"trained {name}: {metrics.get('steps', '?')} steps{loss}",
        {"version": name, "steps": metrics.get("steps"), "seconds": metrics.get("seconds")},
    )


async def evaluate(ctx: StepContext) -> StepResult:
    candidate = ctx.state.get("candidate") or ctx.option("version")
    if candidate is None:
        return StepResult(StepStatus.SKIPPED, "no new adapter to evaluate")
    if refusal := await cpu_heavy_refusal(ctx):
        return StepResult(StepStatus.SKIPPED, refusal, {"version": candidate})
    verdict = await ctx.evaluator.evaluate(candidate, ctx.log)
    ctx.state["verdict"] = (candidate, verdict)
    ours, theirs = verdict["candidate"], verdict["baseline"]
    return StepResult(
        StepStatus.COMPLETED,
        f"{candidate}: grounded accuracy {ours['accuracy']:.1%} vs {theirs['accuracy']:.1%} in "
        f"service ({ours.get('questions', '?')} held-out questions)",
        {
            "version": candidate,
            "accuracy": ours["accuracy"],
            "in_service_accuracy": theirs["accuracy"],
            "passes": bool(verdict.get("passes")),
        },
    )


async def promote(ctx: StepContext) -> StepResult:
    from finetune.job import adapters_dir, promote_if_better
    from finetune.registry import AdapterRegistry

    if "verdict" not in ctx.state:
        return StepResult(StepStatus.SKIPPED, "no evaluated adapter to promote")
    candidate, verdict = ctx.state["verdict"]
    registry = AdapterRegistry(adapters_dir(ctx.settings))
    before = registry.current_name()
    promoted = promote_if_better(ctx.settings, registry.get(candidate), verdict)
    ours, theirs = verdict["candidate"]["accuracy"], verdict["baseline"]["accuracy"]
    counts = {"version": candidate, "promoted": promoted, "previous": before}
    if promoted:
        return StepResult(
            StepStatus.COMPLETED,
            f"{candidate} in service ({ours:.1%} >= {theirs:.1%})",
            counts,
        )
    return StepResult(
        StepStatus.COMPLETED,
        f"kept the adapter in service: {candidate} scored {ours:.1%} < {theirs:.1%}",
        counts,
    )


Step = Callable[[StepContext], Coroutine[Any, Any, StepResult]]
STEP_FUNCTIONS: dict[str, Step] = {
    "scrape": scrape,
    "index": index,
    "dataset": dataset,
    "train": train,
    "evaluate": evaluate,
    "promote": promote,
}
