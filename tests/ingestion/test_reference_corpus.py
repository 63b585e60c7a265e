"""Imports of the real files in ../shared/data (skipped when the corpus is absent)."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from storage.sqlite.store import SqliteProductStore
from tests.ingestion.helpers import import_into


async def test_mercadona_catalogue_and_week_of_price_history(
    sqlite_store: SqliteProductStore, settings: Settings, shared_data: Path
) -> None:
    catalogue = await import_into(
        sqlite_store, settings, shared_data / "mercadona_2025-03_products.csv", "mercadona-csv"
    )
    assert catalogue.read == 4521
    assert catalogue.stored >= 4500
    # The upstream per-piece prices of loose seafood (99x their EUR/kg) are refused.
    assert catalogue.rejected["implausible_price"] == 7
    assert await sqlite_store.get_product("mercadona:24706") is None

    history = await import_into(
        sqlite_store,
        settings,
        shared_data / "mercadona_2025-03_price_history.csv",
        "mercadona-history",
    )

    stats = {s.chain: s for s in await sqlite_store.stats()}
    assert stats["mercadona"].products_with_price_changes == 228
    assert set(history.rejected) == {"unknown_product"}  # rows of the 7 refused products


async def test_multichain_csv(
    sqlite_store: SqliteProductStore, settings: Settings, shared_data: Path
) -> None:
    summary = await import_into(
        sqlite_store,
        settings,
        shared_data / "consum_dia_supermercadosmas_2024-04.csv",
        "multichain-csv",
    )

    assert summary.read == 22629
    assert summary.rejected["price_unavailable"] == 589
    assert summary.stored == 22629 - sum(summary.rejected.values())
    counts = {s.chain: s.products for s in await sqlite_store.stats()}
    assert counts == {"consum": 8908, "dia": 8119, "supermercados-mas": 5012}
    milk = await sqlite_store.search("leche semidesnatada asturiana", chain="dia")
    assert any(p.reference_price is not None for p in milk)


async def test_food_details_update_catalogue_products_with_allergens(
    sqlite_store: SqliteProductStore, settings: Settings, shared_data: Path
) -> None:
    await import_into(
        sqlite_store, settings, shared_data / "mercadona_2025-03_products.csv", "mercadona-csv"
    )
    summary = await import_into(
        sqlite_store,
        settings,
        shared_data / "mercadona_2025-10_food_details.jsonl",
        "mercadona-food-jsonl",
    )

    assert summary.read == 40 and not summary.rejected
    with_allergens = [
        p for p in await sqlite_store.list_products(limit=5000) if p.allergens.declared
    ]
    assert len(with_allergens) >= 30
