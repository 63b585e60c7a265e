"""Importing the project's small fixtures (same schemas as the real files) end to end."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core.allergens import Allergen, AllergenStatus
from core.domain import ExecutionStatus
from core.errors import ImportFormatError, InputError
from core.settings import Settings
from storage.sqlite.store import SqliteProductStore
from tests.factories import day
from tests.ingestion.helpers import import_into


async def test_catalogue_rows_are_stored_or_rejected_with_their_reason(
    sqlite_store: SqliteProductStore, settings: Settings, fixtures: Path
) -> None:
    summary = await import_into(
        sqlite_store, settings, fixtures / "mercadona_products.csv", "mercadona-csv"
    )

    assert summary.read == 6 and summary.stored == 4
    assert dict(summary.rejected) == {"implausible_price": 1, "missing_price": 1}
    assert dict(summary.warnings) == {"inconsistent_reference_price": 1}
    assert summary.execution.status is ExecutionStatus.COMPLETED
    assert summary.execution.counts.new == 4 and summary.execution.counts.errors == 3

    oil = await sqlite_store.get_product("mercadona:4241")
    assert oil is not None
    assert (oil.price, oil.reference_price, oil.unit_size) == (Decimal("8.95"), Decimal("8.95"), 1)
    assert oil.category_path == (
        "Aceite, especias y salsas",
        "Aceite, vinagre y sal",
        "Aceite de oliva",
    )
    assert oil.observed_at == day("2025-03-25")
    milk = await sqlite_store.get_product("mercadona:10005")
    assert milk is not None and milk.regular_price == Decimal("1.05")
    # Kept, but without the reference price that cannot be right.
    pearls = await sqlite_store.get_product("mercadona:22986")
    assert pearls is not None and pearls.reference_price is None
    assert await sqlite_store.get_product("mercadona:24706") is None

    errors = {e.reason: e for e in await sqlite_store.list_errors(summary.execution.id)}
    assert "99x" in errors["implausible_price"].message
    assert errors["implausible_price"].url == "https://tienda.mercadona.es/product/24706/alistado"
    assert errors["missing_price"].url == "mercadona_products.csv:7"


async def test_price_history_import_yields_the_real_changes(
    sqlite_store: SqliteProductStore, settings: Settings, fixtures: Path
) -> None:
    await import_into(sqlite_store, settings, fixtures / "mercadona_products.csv", "mercadona-csv")

    summary = await import_into(
        sqlite_store, settings, fixtures / "mercadona_history.csv", "mercadona-history"
    )

    history = await sqlite_store.price_history("mercadona:4241")
    assert [(h.observed_at, h.price) for h in history] == [
        (day("2025-03-18"), Decimal("8.45")),
        (day("2025-03-22"), Decimal("8.95")),
    ]
    assert len(await sqlite_store.price_history("mercadona:10005")) == 1
    assert dict(summary.rejected) == {"unknown_product": 1}  # 24706 was never stored
    assert summary.counts.price_changes == 1


async def test_importing_the_same_files_twice_changes_nothing(
    sqlite_store: SqliteProductStore, settings: Settings, fixtures: Path
) -> None:
    files = [
        ("mercadona_products.csv", "mercadona-csv"),
        ("mercadona_history.csv", "mercadona-history"),
    ]
    for name, fmt in files:
        await import_into(sqlite_store, settings, fixtures / name, fmt)
    before = [
        (p, await sqlite_store.price_history(p.id)) for p in await sqlite_store.list_products()
    ]

    again = [await import_into(sqlite_store, settings, fixtures / n, f) for n, f in files]

    assert [(s.counts.new, s.counts.updated, s.counts.price_changes) for s in again] == [
        (0, 0, 0),
        (0, 0, 0),
    ]
    after = [
        (p, await sqlite_store.price_history(p.id)) for p in await sqlite_store.list_products()
    ]
    assert [(p, [(h.observed_at, h.price) for h in hist]) for p, hist in after] == [
        (p, [(h.observed_at, h.price) for h in hist]) for p, hist in before
    ]


async def test_multichain_csv_ids_sizes_and_placeholders(
    sqlite_store: SqliteProductStore, settings: Settings, fixtures: Path
) -> None:
    summary = await import_into(
        sqlite_store,
        settings,
        fixtures / "multichain.csv",
        "multichain-csv",
        observed_at=day("2024-04-10"),
    )

    assert dict(summary.rejected) == {"price_unavailable": 1, "non_positive_price": 1}
    products = {p.id: p for p in await sqlite_store.list_products()}
    assert set(products) == {
        "consum:401356",
        "consum:7399202",
        "dia:17548P6",
        "supermercados-mas:chicles-sin-azucar-fresa-trident-bote-826g",
    }
    milk = products["dia:17548P6"]
    assert (milk.price, milk.unit_size, milk.reference_price) == (
        Decimal("6.84"),
        6.0,
        Decimal("1.14"),
    )
    assert milk.observed_at == day("2024-04-10")
    gum = products["supermercados-mas:chicles-sin-azucar-fresa-trident-bote-826g"]
    assert gum.price == Decimal("3.45") and gum.brand == "TRIDENT"


async def test_food_details_carry_allergens_nutrition_and_bad_lines_are_reported(
    sqlite_store: SqliteProductStore, settings: Settings, fixtures: Path
) -> None:
    summary = await import_into(
        sqlite_store, settings, fixtures / "mercadona_food.jsonl", "mercadona-food-jsonl"
    )

    assert summary.stored == 3 and dict(summary.rejected) == {"malformed_json": 1}
    ribs = await sqlite_store.get_product("mercadona:1564")
    assert ribs is not None and ribs.nutrition is not None
    assert ribs.allergens.status(Allergen.MILK) is AllergenStatus.CONTAINS
    assert ribs.allergens.status(Allergen.GLUTEN) is AllergenStatus.FREE
    assert ribs.ean == "2105100015645" and ribs.nutrition.protein_g == 19.0
    bread = await sqlite_store.get_product("mercadona:3001")
    assert bread is not None and bread.allergens.is_unknown
    found = await sqlite_store.search("costilla iberico")
    assert [p.id for p in found] == ["mercadona:1564"]


async def test_own_jsonl_format_with_price_history(
    sqlite_store: SqliteProductStore, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "products.jsonl"
    good = {
        "chain": "dia",
        "chain_product_id": "1",
        "name": "Leche entera Dia",
        "price": "1.19",
        "observed_at": "2026-11-20",
        "price_history": [
            {"observed_at": "2026-10-01", "price": "1.09"},
            {"observed_at": "2026-11-01", "price": "1.15"},
        ],
    }
    bad = {"chain": "Dia!", "chain_product_id": "2", "name": "x", "price": "-1"}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")

    summary = await import_into(sqlite_store, settings, path, "jsonl")

    history = await sqlite_store.price_history("dia:1")
    assert [h.price for h in history] == [Decimal("1.09"), Decimal("1.15"), Decimal("1.19")]
    assert dict(summary.rejected) == {"invalid_record": 1}
    error = (await sqlite_store.list_errors())[0]
    assert error.url == "products.jsonl:2" and "price" in error.message


async def test_wrong_format_fails_clearly_and_loses_nothing(
    sqlite_store: SqliteProductStore, settings: Settings, fixtures: Path
) -> None:
    await import_into(sqlite_store, settings, fixtures / "mercadona_products.csv", "mercadona-csv")

    with pytest.raises(ImportFormatError, match=r"columns .* are missing"):
        await import_into(sqlite_store, settings, fixtures / "multichain.csv", "mercadona-csv")
    with pytest.raises(InputError, match="does not exist"):
        await import_into(sqlite_store, settings, fixtures / "nope.csv", "mercadona-csv")

    assert await sqlite_store.count_products() == 4
    failed = (await sqlite_store.list_executions(limit=3))[1]
    assert failed.status is ExecutionStatus.FAILED and "missing" in (failed.note or "")
