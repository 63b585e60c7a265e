"""`supersmart demo`: load the bundled sample catalogue, index it, and answer the brief's
questions with the retriever (the chat model comes with the chat service)."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.importing import print_summary
from cli.runtime import console, get_settings, run_with_store
from cli.store import print_stats
from core.settings import Settings
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from retrieval.build import build_index
from retrieval.embedder import create_embedder
from retrieval.retriever import Retriever
from storage.base import ProductStore
from storage.factory import create_datalake

QUESTIONS = (
    "¿Dónde está más barato el aceite de oliva virgen extra?",
    "¿Qué galletas sin gluten hay por menos de 2 €?",
    "¿Ha subido la leche entera este mes?",
)


def demo(ctx: typer.Context) -> None:
    """Import the sample catalogue (idempotent), index it and answer a few questions."""
    settings = get_settings(ctx)

    async def job(store: ProductStore) -> None:
        importer = FileImport(store, create_datalake(settings), settings.imports)
        summary = await importer.run(get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext())
        print_summary(summary)
        print_stats(await store.stats())
        embedder = create_embedder(settings.retrieval)
        report = await build_index(store, settings, embedder)
        console.print(
            f"Search index: {report.manifest.passages:,} passages "
            f"({report.embedded:,} embedded, {report.reused:,} from the cache)."
        )
        retriever = Retriever(settings.index_path, embedder, settings.retrieval, store)
        for question in QUESTIONS:
            await _answer(retriever, store, question)
        console.print(_footer(settings))

    run_with_store(settings, job)


async def _answer(retriever: Retriever, store: ProductStore, question: str) -> None:
    result = await retriever.search(question, limit=5)
    table = Table(title=question, title_justify="left")
    for column in (
        "cadena",
        "producto",
        "precio",
        "precio/unidad",
        "precio a",
        "historial",
        "avisos",
    ):
        table.add_column(column, justify="right" if column.startswith("precio") else "left")
    for hit in result.hits:
        product = hit.product
        history = await store.price_history(product.id)
        unit = (
            f"{product.reference_price:.2f} €/{product.reference_unit}"
            if product.reference_price is not None
            else "-"
        )
        table.add_row(
            product.chain,
            product.name,
            f"{product.price:.2f} €",
            unit,
            f"{product.observed_at:%d/%m/%Y}",
            " → ".join(f"{o.price:.2f}" for o in history[-3:]),
            "; ".join(hit.verdict.flags) or "-",
        )
    console.print(table)
    if result.excluded:
        console.print(
            f"  ({result.excluded} productos descartados por no cumplir la pregunta: "
            "precio, cadena o alérgenos)"
        )


def _footer(settings: Settings) -> str:
    where = settings.sqlite_path if settings.store_backend == "sqlite" else "MongoDB"
    return (
        f'Store: {where}. Try `supersmart search "leche sin lactosa en Dia"` or '
        "`supersmart store history <id>` with an id from `supersmart store search`."
    )
