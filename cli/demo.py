"""`supersmart demo`: load the bundled sample catalogue and show what the assistant knows."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.table import Table

from cli.importing import print_summary
from cli.runtime import console, get_settings, run_with_store
from cli.store import print_stats
from core.allergens import Allergen, AllergenStatus
from core.domain import Product
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from storage.base import ProductStore
from storage.factory import create_datalake


@dataclass(frozen=True)
class Lookup:
    title: str
    words: str
    gluten_free: bool = False


LOOKUPS = (
    Lookup("¿Dónde está más barato el aceite de oliva virgen extra?", "aceite oliva virgen extra"),
    Lookup("¿Qué galletas sin gluten hay?", "galletas", gluten_free=True),
    Lookup("¿Ha subido la leche?", "leche entera"),
)


def demo(ctx: typer.Context) -> None:
    """Import the sample catalogue (idempotent) and answer a few lookups from the store."""
    settings = get_settings(ctx)

    async def job(store: ProductStore) -> None:
        importer = FileImport(store, create_datalake(settings), settings.imports)
        summary = await importer.run(get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext())
        print_summary(summary)
        print_stats(await store.stats())
        for lookup in LOOKUPS:
            await _show(store, lookup)
        where = settings.sqlite_path if settings.store_backend == "sqlite" else "MongoDB"
        console.print(
            f'Store: {where}. Try `supersmart store search "cacao"` or '
            "`supersmart store history <id>` with an id from the search."
        )

    run_with_store(settings, job)


async def _show(store: ProductStore, lookup: Lookup) -> None:
    found = await store.search(lookup.words, limit=60)
    excluded = 0
    if lookup.gluten_free:
        safe = [p for p in found if p.allergens.status(Allergen.GLUTEN) is AllergenStatus.FREE]
        excluded = len(found) - len(safe)
        found = safe
    cheapest = sorted((p for p in found if p.reference_price is not None), key=_per_unit)[:5]
    table = Table(title=lookup.title, title_justify="left")
    for column in ("cadena", "producto", "precio", "precio/unidad", "precio a", "historial"):
        table.add_column(column, justify="right" if column.startswith("precio") else "left")
    for product in cheapest:
        history = await store.price_history(product.id)
        trend = " → ".join(f"{o.price:.2f}" for o in history[-3:])
        table.add_row(
            product.chain,
            product.name,
            f"{product.price:.2f} €",
            f"{product.reference_price:.2f} €/{product.reference_unit}",
            f"{product.observed_at:%d/%m/%Y}",
            trend,
        )
    console.print(table)
    if excluded:
        console.print(
            f"  ({excluded} more contain gluten, may contain traces, or have no allergen data: "
            "not shown as gluten-free)"
        )


def _per_unit(product: Product) -> float:
    return float(product.reference_price or 0)
