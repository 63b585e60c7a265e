"""`supersmart index` builds (or refreshes) the search index; `supersmart search` asks it."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli.runtime import console, get_settings, run_with_store
from retrieval.build import BuildReport, build_index
from retrieval.embedder import create_embedder
from retrieval.retriever import Retrieval, Retriever
from storage.base import ProductStore


def index(ctx: typer.Context) -> None:
    """Build the search index from the store; unchanged texts reuse their cached embeddings."""
    settings = get_settings(ctx)

    async def job(store: ProductStore) -> BuildReport:
        with Progress(
            TextColumn("Embedding passages"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("embed", total=None)
            return await build_index(
                store,
                settings,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )

    report = run_with_store(settings, job)
    m = report.manifest
    console.print(
        f"Index {m.version}: {m.products:,} products, {m.passages:,} passages, embedder "
        f"{m.embedder} ({m.metric}); {report.embedded:,} texts embedded, {report.reused:,} "
        f"reused from the cache, {report.seconds:.1f} s. In service now."
    )


def search(
    ctx: typer.Context,
    question: str = typer.Argument(..., help="A shopping question in Spanish."),
    limit: int = typer.Option(5, min=1, max=50),
    mode: str | None = typer.Option(None, help="hybrid, dense or lexical (default: setting)."),
) -> None:
    """Retrieve the products that answer a question, with why each filter held."""
    settings = get_settings(ctx)
    if mode not in (None, "hybrid", "dense", "lexical"):
        raise typer.BadParameter("hybrid, dense or lexical", param_hint="--mode")

    async def job(store: ProductStore) -> Retrieval:
        retriever = Retriever(
            settings.index_path, create_embedder(settings.retrieval), settings.retrieval, store
        )
        return await retriever.search(question, limit, mode)

    result = run_with_store(settings, job)
    q = result.query
    understood = [f"buscar: '{q.text}'"]
    if q.chains:
        understood.append("cadena: " + ", ".join(sorted(q.chains)))
    if q.max_price is not None:
        understood.append(f"precio ≤ {q.max_price} €")
    if q.min_price is not None:
        understood.append(f"precio ≥ {q.min_price} €")
    if q.exclude:
        understood.append("sin: " + ", ".join(sorted(q.exclude)))
    if q.lactose_free:
        understood.append("sin lactosa")
    understood.append("intención: " + ", ".join(sorted(q.intents)))
    console.print("; ".join(understood) + f" ({result.excluded:,} productos descartados)")
    table = Table(title=question)
    for column in ("id", "producto", "precio", "precio/unidad", "por qué", "avisos"):
        table.add_column(column)
    for hit in result.hits:
        p = hit.product
        unit = f"{p.reference_price} €/{p.reference_unit}" if p.reference_price else "-"
        table.add_row(
            p.id,
            p.name,
            f"{p.price} €",
            unit,
            "; ".join(hit.verdict.reasons) or "-",
            "; ".join(hit.verdict.flags) or "-",
        )
    console.print(table)
    if not result.hits:
        console.print("No encuentro productos que cumplan lo que pides.")
