"""`supersmart pipeline run|list|show` and `supersmart schedule`: the nightly refresh by hand,
its records, and the scheduler as a process of its own."""

from __future__ import annotations

import asyncio
import signal

import typer
from rich.table import Table

from cli.runtime import console, err_console, get_settings, user_errors
from core.logs import configure_logging
from core.runs import STEPS, PipelineRun, StepStatus
from core.settings import Settings
from pipeline.operations import Operations, open_operations
from storage.factory import create_store

app = typer.Typer(help="The nightly refresh: run steps by hand, see past runs.")


async def _open(settings: Settings, schedule: bool) -> Operations:
    store = create_store(settings)
    await store.initialize()
    try:
        return await open_operations(settings, store, serving=False, schedule=schedule)
    except BaseException:
        await store.close()
        raise


async def _close(ops: Operations) -> None:
    store = ops.controller.store
    try:
        await ops.close()
    finally:
        await store.close()


def _stop_on_signals(ops: Operations) -> None:
    """Ctrl-C / SIGTERM: stop the run (a scrape keeps the products in flight)."""
    loop = asyncio.get_running_loop()

    def handle() -> None:
        if ops.controller.abort():
            err_console.print("\n[yellow]Stopping the pipeline run[/] (products in flight kept).")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handle)


@app.command("run")
def run(
    ctx: typer.Context,
    steps: str = typer.Option(
        ",".join(STEPS), "--steps", help=f"Comma-separated steps among {', '.join(STEPS)}."
    ),
    chain: list[str] = typer.Option(
        [], "--chain", "-c", help="Scrape only this chain (repeatable)."
    ),
    force: bool = typer.Option(False, help="Rebuild the index even if the store is unchanged."),
) -> None:
    """Run pipeline steps now, in order, recording each one (see `supersmart pipeline list`)."""
    settings = get_settings(ctx)
    names = [s.strip() for s in steps.split(",") if s.strip()]
    options: dict[str, object] = {"force": True} if force else {}
    if chain:
        options["chains"] = chain

    async def main() -> PipelineRun:
        ops = await _open(settings, schedule=False)
        try:
            _stop_on_signals(ops)
            return await ops.controller.run(names, "cli", options)
        finally:
            await _close(ops)

    with user_errors():
        result = asyncio.run(main())
    print_run(result)
    if result.status in (StepStatus.FAILED, StepStatus.ABORTED, StepStatus.INTERRUPTED):
        raise typer.Exit(1)


@app.command("list")
def list_runs(
    ctx: typer.Context, limit: int = typer.Option(10, min=1, help="How many runs.")
) -> None:
    """Past pipeline runs, newest first."""
    settings = get_settings(ctx)

    async def main() -> list[PipelineRun]:
        ops = await _open(settings, schedule=False)
        try:
            return await ops.records.list_runs(limit)
        finally:
            await _close(ops)

    with user_errors():
        runs = asyncio.run(main())
    table = Table(title="Pipeline runs")
    for column in ("run", "trigger", "started (UTC)", "seconds", "status", "steps"):
        table.add_column(column)
    for one in runs:
        table.add_row(
            one.id,
            one.trigger,
            one.started_at.strftime("%Y-%m-%d %H:%M"),
            f"{one.seconds:.0f}" if one.seconds is not None else "-",
            one.status,
            " ".join(f"{s.name}:{s.status}" for s in one.steps),
        )
    console.print(table if runs else "No pipeline run yet: `supersmart pipeline run`.")


def print_run(run: PipelineRun) -> None:
    table = Table(title=f"Pipeline run {run.id} ({run.trigger})")
    for column in ("step", "status", "seconds", "what happened"):
        table.add_column(column)
    for step in run.steps:
        seconds = f"{step.seconds:.1f}" if step.seconds is not None else "-"
        table.add_row(step.name, step.status, seconds, step.message)
    console.print(table)
    console.print(f"Pipeline {run.status} in {run.seconds or 0:.0f} s.")


def schedule(ctx: typer.Context) -> None:
    """Run the scheduler in this process (instead of inside `supersmart serve`) until Ctrl-C."""
    settings = get_settings(ctx)
    if not settings.pipeline.schedule:
        err_console.print("No schedule: set SUPERSMART_PIPELINE__SCHEDULE (e.g. '30 4 * * *').")
        raise typer.Exit(2)
    configure_logging(settings)

    async def main() -> None:
        ops = await _open(settings, schedule=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            assert ops.scheduler is not None
            console.print(
                f"Scheduled '{settings.pipeline.schedule}' ({settings.pipeline.timezone}); "
                f"next run {ops.scheduler.next_run}. Ctrl-C stops."
            )
            await stop.wait()
        finally:
            await _close(ops)
        console.print("Scheduler stopped.")

    with user_errors():
        asyncio.run(main())
