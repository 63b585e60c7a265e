"""`supersmart demo`: load the bundled sample catalogue and show what the assistant knows."""

from __future__ import annotations

import typer

from cli.importing import print_summary
from cli.runtime import console, get_settings, run_with_store
from cli.store import print_stats
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from storage.base import ProductStore
from storage.factory import create_datalake

QUESTIONS = ("aceite de oliva virgen extra", "galletas sin gluten", "leche entera")


def demo(ctx: typer.Context) -> None:
    """Import the sample catalogue (idempotent) and answer a few lookups from the store."""
    settings = get_settings(ctx)

    async def job(store: ProductStore) -> None:
        importer = FileImport(store, create_datalake(settings), settings.imports)
        summary = await importer.run(get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext())
        print_summary(summary)
        print_stats(await store.stats())
        for question in QUESTIONS:
            console.rule(f"[bold]{question}")
            products = await store.search(question, limit=40)
            by_unit = sorted(
                (p for p in products if p.reference_price is not None),
                key=lambda p: p.reference_price or 0,
            )[:5]
            for p in by_unit:
                history = await store.price_history(p.id)
                trend = " -> ".join(f"{o.price:.2f}" for o in history[-3:])
                console.print(
                    f"  {p.chain:<10} {p.name[:48]:<48} {p.price:>6.2f} €  "
                    f"{p.reference_price} €/{p.reference_unit}  (precio a {p.observed_at:%d/%m/%Y};"
                    f" historial {trend})"
                )
        console.print(
            f"\nStore: {settings.sqlite_path if settings.store_backend == 'sqlite' else 'MongoDB'}"
            '. Try `supersmart store search "cacao"` or `supersmart store history <id>`.'
        )

    run_with_store(settings, job)
