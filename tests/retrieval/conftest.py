"""A store holding the sample catalogue, and a helper to build an index over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.settings import Settings
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from storage.sqlite.store import SqliteProductStore


@pytest.fixture
async def sample_store(settings: Settings) -> AsyncIterator[SqliteProductStore]:
    store = SqliteProductStore(settings.sqlite_path)
    await store.initialize()
    await FileImport(store, None, settings.imports).run(
        get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext()
    )
    yield store
    await store.close()


@pytest.fixture
async def sqlite_store_with_mercadona(
    settings: Settings, shared_data: Path
) -> AsyncIterator[SqliteProductStore]:
    store = SqliteProductStore(settings.sqlite_path)
    await store.initialize()
    await FileImport(store, None, settings.imports).run(
        get_reader("mercadona-csv"), shared_data / "mercadona_2025-03_products.csv", ReadContext()
    )
    yield store
    await store.close()
