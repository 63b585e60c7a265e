"""What an import says it did is what the store holds: for every importer, the execution's
counters against the products and price histories actually stored."""

from __future__ import annotations

import json
from pathlib import Path

from core.settings import Settings
from storage.base import ProductStore
from storage.sqlite.store import SqliteProductStore
from tests.factories import day
from tests.ingestion.helpers import import_into

FILES = (  # (file, format, date for files that carry none), imported in this order
    ("mercadona_products.csv", "mercadona-csv", None),
    ("mercadona_history.csv", "mercadona-history", None),
    ("mercadona_food.jsonl", "mercadona-food-jsonl", day("2025-10-01")),
    ("multichain.csv", "multichain-csv", day("2024-04-10")),
)


async def _changes_stored(store: ProductStore) -> int:
    """Changes of price in every stored history (each point after a product's first)."""
    products = await store.list_products(limit=100_000)
    return sum([max(len(await store.price_history(p.id)) - 1, 0) for p in products])


async def test_every_importers_counts_match_the_store(
    settings: Settings, fixtures: Path, tmp_path: Path
) -> None:
    store = SqliteProductStore(tmp_path / "store.db")
    await store.initialize()
    own = tmp_path / "own.jsonl"  # SuperSmart's JSONL: a product with its earlier prices
    own.write_text(
        json.dumps({"chain": "dia", "chain_product_id": "9", "name": "Leche entera Dia",
                    "price": "1.19", "observed_at": "2026-11-20",
                    "price_history": [{"observed_at": "2026-10-01", "price": "0.96"},
                                      {"observed_at": "2026-10-15", "price": "0.96"},
                                      {"observed_at": "2026-11-01", "price": "1.05"}]}),
        encoding="utf-8",
    )  # fmt: skip
    files = [(fixtures / name, fmt, at) for name, fmt, at in FILES] + [(own, "jsonl", None)]
    new = changes = 0
    for path, fmt, at in files:
        summary = await import_into(store, settings, path, fmt, observed_at=at)
        counts = summary.execution.counts
        skipped = sum(summary.rejected.values())
        assert counts.errors == skipped + sum(summary.warnings.values()), fmt
        assert counts == summary.counts.model_copy(update={"errors": counts.errors}), fmt
        assert summary.read == counts.seen + counts.prices + skipped, fmt  # every record said
        new += counts.new
        changes += counts.price_changes
        assert await store.count_products() == new, fmt
        assert await _changes_stored(store) == changes, fmt
    own_counts = summary.counts
    assert (own_counts.new, own_counts.prices, own_counts.unchanged) == (1, 3, 0)
    assert own_counts.price_changes == 2  # 0,96 -> 1,05 -> 1,19: the history gained two
    await store.close()
