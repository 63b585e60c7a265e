"""`supersmart scrape`: collect products from supermarket sites (all, one, or abort a run);
`supersmart testshop`: serve the local test shop to scrape offline."""

from __future__ import annotations

import asyncio
import signal
import time

import typer
from rich.table import Table

from cli.runtime import console, err_console, get_settings, run_with_store
from ingestion.runner import ChainRun
from ingestion.scrape_job import ScrapeJob
from ingestion.scrapers.registry import discover_scrapers
from storage.base import ProductStore
from storage.factory import create_datalake


def scrape(
    ctx: typer.Context,
    source: list[str] | None = typer.Option(
        None, "--source", "-s", help="Chain to scrape (repeatable); default: every chain."
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="Scrape this address instead of the chain's site (one --source), "
        "e.g. the test shop: http://127.0.0.1:8765/dia",
    ),
    max_products: int | None = typer.Option(
        None, "--max-products", min=1, help="Stop each chain after N products (a trial run)."
    ),
    abort: bool = typer.Option(
        False, "--abort", help="Ask the running scrape to stop after the products in flight."
    ),
    list_sources: bool = typer.Option(False, "--list", help="List the available scrapers."),
) -> None:
    """Scrape supermarket sites into the store, every chain at once (politeness per site)."""
    settings = get_settings(ctx)
    if list_sources:
        for chain, cls in discover_scrapers().items():
            kind = "rendered pages" if cls.renders_pages else "JSON API"
            console.print(f"{chain:<12} {cls.default_base_url:<40} {kind}")
        return
    if abort:
        asked = run_with_store(
            settings,
            lambda store: store.request_abort(source[0] if source and len(source) == 1 else None),
        )
        console.print(
            f"Asked {asked} running scrape(s) to stop after the products in flight."
            if asked
            else "No scrape is running."
        )
        return
    if base_url and (not source or len(source) != 1):
        raise typer.BadParameter(
            "give exactly one --source with --base-url", param_hint="--base-url"
        )
    scrape_settings = settings.scrape
    if max_products:
        scrape_settings = scrape_settings.model_copy(update={"max_products": max_products})

    async def job(store: ProductStore) -> list[ChainRun]:
        started: dict[str, float] = {}

        def progress(run: ChainRun) -> None:
            started.setdefault(run.chain, time.monotonic())
            console.print(
                f"  {run.chain}: {run.products} products stored, {run.errors} errors", end="\r"
            )

        async with ScrapeJob(
            store,
            create_datalake(settings),
            scrape_settings,
            settings.data_dir / "scrape.lock",
            progress,
        ) as scrape_job:
            _stop_on_signals(scrape_job)
            return await scrape_job.run(
                source, {source[0]: base_url} if base_url and source else None
            )

    runs = run_with_store(settings, job)
    print_runs(runs)
    if any(run.execution.status == "failed" for run in runs):
        raise typer.Exit(1)


def _stop_on_signals(job: ScrapeJob) -> None:
    """First Ctrl-C (or SIGTERM): finish the products in flight and stop. Second: stop now."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def handle() -> None:
        if job.runner.aborted and main is not None:
            main.cancel()
            return
        err_console.print(
            "\n[yellow]Stopping after the products in flight[/] (Ctrl-C again to stop at once)."
        )
        job.abort()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handle)


def print_runs(runs: list[ChainRun]) -> None:
    table = Table(title="Scrape")
    for column in (
        "chain",
        "status",
        "seen",
        "new",
        "updated",
        "price changes",
        "errors",
        "seconds",
    ):
        table.add_column(column, justify="left" if column in ("chain", "status") else "right")
    for run in runs:
        e = run.execution
        seconds = (e.finished_at - e.started_at).total_seconds() if e.finished_at else 0.0
        table.add_row(
            run.chain,
            e.status,
            *(
                f"{v:,}"
                for v in (
                    e.counts.seen,
                    e.counts.new,
                    e.counts.updated,
                    e.counts.price_changes,
                    e.counts.errors,
                )
            ),
            f"{seconds:.1f}",
        )
    console.print(table)
    for run in runs:
        for alert in run.alerts:
            console.print(f"[bold red]ALERT[/] {run.chain}: {alert}")
    total = sum(run.products for run in runs)
    console.print(
        f"Scraped {len(runs)} chain(s): {total:,} products stored, "
        f"{sum(run.errors for run in runs):,} errors recorded."
    )


def testshop(
    port: int = typer.Option(8765, help="Port on 127.0.0.1."),
    products: int = typer.Option(30, min=1, help="Products per chain."),
    latency_ms: int = typer.Option(0, min=0, help="Delay added to every response."),
) -> None:
    """Serve the local test shop (every chain's API shapes) until Ctrl-C."""
    from ingestion.testshop import FAULTS, ShopState, TestShop

    state = ShopState(products_per_chain=products)
    state.latency_s = latency_ms / 1000
    with TestShop(state, port=port) as shop:
        console.print(f"Test shop on http://127.0.0.1:{shop.port} (Ctrl-C to stop)")
        for chain, url in shop.base_urls().items():
            console.print(f"  supersmart scrape --source {chain} --base-url {url}")
        console.print(
            f"Faults ({', '.join(FAULTS)}): curl -X POST "
            f'http://127.0.0.1:{shop.port}/_shop/faults -d \'{{"chain": "dia", '
            '"target": "listing", "fault": "server_error", "times": 1}\''
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            console.print("Test shop stopped.")
