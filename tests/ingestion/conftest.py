"""Fixtures for the ingestion tests: an initialised SQLite store under the test's data dir."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from storage.sqlite.store import SqliteProductStore


@pytest.fixture
async def sqlite_store(settings: Settings) -> AsyncIterator[SqliteProductStore]:
    store = SqliteProductStore(settings.sqlite_path)
    await store.initialize()
    yield store
    await store.close()
