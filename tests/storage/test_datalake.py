"""The JSONL data lake mirrors every import and rebuilds an identical store."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from storage.base import ProductStore
from storage.datalake import DataLake
from storage.restore import restore_from_datalake
from storage.sqlite.store import SqliteProductStore
from tests.ingestion.helpers import import_into


async def _snapshot(store: ProductStore) -> list[object]:
    products = await store.list_products(limit=10_000)
    return [
        (p, [(h.observed_at, h.price) for h in await store.price_history(p.id)]) for p in products
    ]


async def test_rebuild_from_the_lake_restores_products_history_runs_and_errors(
    settings: Settings, fixtures: Path, tmp_path: Path
) -> None:
    original = SqliteProductStore(settings.sqlite_path)
    await original.initialize()
    for name, fmt in (
        ("mercadona_products.csv", "mercadona-csv"),
        ("mercadona_history.csv", "mercadona-history"),
        ("mercadona_food.jsonl", "mercadona-food-jsonl"),
    ):
        await import_into(original, settings, fixtures / name, fmt)
    lake = DataLake(settings.datalake_path)
    assert (settings.datalake_path / "mercadona").is_dir()

    rebuilt = SqliteProductStore(tmp_path / "rebuilt.db")
    await rebuilt.initialize()
    summary = await restore_from_datalake(rebuilt, lake)

    assert summary.executions == 3
    assert await _snapshot(rebuilt) == await _snapshot(original)
    assert await rebuilt.list_executions() == await original.list_executions()
    assert len(await rebuilt.list_errors()) == len(await original.list_errors())
    # Replaying twice changes nothing.
    await restore_from_datalake(rebuilt, lake)
    assert await _snapshot(rebuilt) == await _snapshot(original)
    await original.close()
    await rebuilt.close()


async def test_a_line_torn_by_a_crash_is_skipped(settings: Settings, fixtures: Path) -> None:
    store = SqliteProductStore(settings.sqlite_path)
    await store.initialize()
    summary = await import_into(
        store, settings, fixtures / "mercadona_products.csv", "mercadona-csv"
    )
    products_file = settings.datalake_path / "mercadona" / summary.execution.id / "products.jsonl"
    with open(products_file, "a", encoding="utf-8") as handle:
        handle.write('{"chain": "mercadona", "chain_product_id": "1", "na')  # no newline: torn
    await store.close()

    records = DataLake(settings.datalake_path).replay(summary.execution.id)
    assert len(records.products) == 4


async def test_a_database_from_before_abort_requests_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the executions table as first shipped
        old.execute(
            "CREATE TABLE executions (id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT "
            "NULL, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, seen INTEGER "
            "NOT NULL DEFAULT 0, new INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT "
            "0, unchanged INTEGER NOT NULL DEFAULT 0, price_changes INTEGER NOT NULL DEFAULT 0, "
            "errors INTEGER NOT NULL DEFAULT 0, note TEXT)"
        )
        old.execute(
            "INSERT INTO executions(id, source, kind, started_at, status) VALUES "
            "('x', 'dia', 'scrape', '2026-11-01T00:00:00.000000+00:00', 'running')"
        )
    store = SqliteProductStore(path)
    await store.initialize()

    assert await store.request_abort("dia") == 1
    assert await store.abort_requested("x")
    await store.close()
