"""`supersmart store ...`: look into the store, and rebuild it from the data lake."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import typer
from rich.markup import escape
from rich.table import Table

from cli.runtime import console, get_settings, run_with_store
from core.errors import InputError
from storage.base import ChainStats, ProductStore
from storage.factory import create_datalake
from storage.restore import RestoreSummary, restore_from_datalake

app = typer.Typer(help="Inspect the product store or rebuild it.", no_args_is_help=True)


@app.command()
def stats(ctx: typer.Context) -> None:
    """Products, price observations and last sighting per chain."""
    rows = run_with_store(get_settings(ctx), lambda store: store.stats())
    print_stats(rows)


def print_stats(rows: list[ChainStats]) -> None:
    table = Table(title="Store contents")
    for column in ("chain", "products", "price observations", "with price changes", "last seen"):
        table.add_column(column, justify="left" if column == "chain" else "right")
    for row in rows:
        table.add_row(
            row.chain,
            f"{row.products:,}",
            f"{row.price_observations:,}",
            f"{row.products_with_price_changes:,}",
            f"{row.last_observed_at:%Y-%m-%d}" if row.last_observed_at else "-",
        )
    console.print(table)
    console.print(f"{sum(r.products for r in rows):,} products in {len(rows)} chains.")


@app.command()
def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="Words to look for (accents optional)."),
    chain: str | None = typer.Option(None, help="Only this chain (e.g. mercadona)."),
    limit: int = typer.Option(10, min=1, max=200),
) -> None:
    """Full-text search over names, brands, categories and ingredients."""
    products = run_with_store(get_settings(ctx), lambda s: s.search(text, limit, chain))
    table = Table(title=f"'{text}'")
    for column in ("id", "name", "brand", "price", "per unit", "seen"):
        table.add_column(column)
    for p in products:
        unit = f"{p.reference_price} €/{p.reference_unit}" if p.reference_price else "-"
        table.add_row(
            p.id, p.name, p.brand or "-", f"{p.price} €", unit, f"{p.observed_at:%Y-%m-%d}"
        )
    console.print(table)


@app.command()
def history(
    ctx: typer.Context, product_id: str = typer.Argument(..., help="e.g. mercadona:4241")
) -> None:
    """Price changes of one product, oldest first."""

    async def job(store: ProductStore) -> None:
        product = await store.get_product(product_id)
        if product is None:
            raise InputError(
                f"No product {product_id!r}: ids look like 'mercadona:4241' "
                "(see `supersmart store search`)."
            )
        console.print(f"[bold]{escape(product.name)}[/] ({product.chain})")
        for obs in await store.price_history(product_id):
            console.print(f"  {obs.observed_at:%Y-%m-%d}  {obs.price} €")

    run_with_store(get_settings(ctx), job)


@app.command()
def executions(ctx: typer.Context, limit: int = typer.Option(20, min=1)) -> None:
    """The latest scrape and import runs with their counts."""
    rows = run_with_store(get_settings(ctx), lambda s: s.list_executions(limit))
    table = Table(title="Executions")
    for column in (
        "id",
        "source",
        "started",
        "status",
        "seen",
        "new",
        "updated",
        "price chg",
        "errors",
    ):
        table.add_column(column)
    for e in rows:
        c = e.counts
        table.add_row(
            e.id[:8],
            e.source,
            f"{e.started_at:%Y-%m-%d %H:%M}",
            e.status,
            *(f"{v:,}" for v in (c.seen, c.new, c.updated, c.price_changes, c.errors)),
        )
    console.print(table)


@app.command()
def errors(
    ctx: typer.Context,
    execution: str | None = typer.Option(None, help="Execution id (see `store executions`)."),
    chain: str | None = typer.Option(None),
    limit: int = typer.Option(20, min=1),
) -> None:
    """Rejected rows and scrape errors, with their reason."""
    rows = run_with_store(get_settings(ctx), lambda s: s.list_errors(execution, chain, limit))
    for e in rows:
        console.print(f"[yellow]{e.reason}[/] {e.chain} {escape(e.url or '')}: {escape(e.message)}")
    console.print(f"{len(rows)} errors shown.")


@app.command()
def rebuild(
    ctx: typer.Context,
    from_datalake: bool = typer.Option(
        False, "--from-datalake", help="Replay every execution recorded in the JSONL data lake."
    ),
    fresh: bool = typer.Option(
        False,
        "--fresh",
        help="SQLite: move the current database aside (kept as a .bak file) "
        "and rebuild into an empty one.",
    ),
) -> None:
    """Restore the store from the data lake (after a lost or damaged database)."""
    if not from_datalake:
        raise typer.BadParameter("say where to rebuild from: --from-datalake")
    settings = get_settings(ctx)
    lake = create_datalake(settings)
    if lake is None:
        raise typer.BadParameter("the data lake is disabled (SUPERSMART_DATALAKE__ENABLED=false)")
    if fresh and settings.store_backend == "sqlite" and settings.sqlite_path.exists():
        backup = settings.sqlite_path.with_name(
            f"{settings.sqlite_path.name}.{datetime.now(UTC):%Y%m%dT%H%M%S}.bak"
        )
        for suffix in ("-wal", "-shm"):
            side = settings.sqlite_path.with_name(settings.sqlite_path.name + suffix)
            if side.exists():
                shutil.move(side, backup.with_name(backup.name + suffix))
        shutil.move(settings.sqlite_path, backup)
        console.print(f"Previous database kept as {backup}")

    def progress(done: int, total: int) -> None:
        console.print(f"  replayed execution {done}/{total}")

    summary: RestoreSummary = run_with_store(
        settings, lambda store: restore_from_datalake(store, lake, on_execution=progress)
    )
    console.print(
        f"Rebuilt from {lake.root}: {summary.executions} executions, {summary.products:,} product "
        f"records, {summary.observations:,} price observations, {summary.errors:,} errors replayed."
    )
