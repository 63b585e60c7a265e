"""The MongoDB store chosen from settings: same results as SQLite, clear errors when down."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.errors import StoreUnavailableError
from core.settings import Settings, StoreSettings
from storage.base import ProductStore
from storage.factory import create_store
from tests.factories import day
from tests.ingestion.helpers import import_into

FILES = (  # (file, format, date for files that carry none)
    ("mercadona_products.csv", "mercadona-csv", None),
    ("mercadona_history.csv", "mercadona-history", None),
    ("mercadona_food.jsonl", "mercadona-food-jsonl", day("2025-10-01")),
    ("multichain.csv", "multichain-csv", day("2024-04-10")),
)


def _mongo_settings(base: Settings, uri: str) -> Settings:
    store = StoreSettings(mongodb_uri=SecretStr(uri), mongodb_database=f"t{uuid.uuid4().hex[:10]}")
    return base.model_copy(update={"store": store})


async def _snapshot(store: ProductStore) -> list[object]:
    return [
        (p, [(h.observed_at, h.price) for h in await store.price_history(p.id)])
        for p in await store.list_products(limit=1000)
    ]


async def test_imports_give_the_same_store_on_mongodb_and_sqlite(
    settings: Settings, fixtures: Path, mongodb_uri: str
) -> None:
    mongo_settings = _mongo_settings(settings, mongodb_uri)
    assert mongo_settings.store_backend == "mongodb"
    stores = {"sqlite": create_store(settings), "mongodb": create_store(mongo_settings)}
    summaries = {}
    for name, store in stores.items():
        await store.initialize()
        summaries[name] = [
            (s.read, s.counts, dict(s.rejected))
            for s in [
                await import_into(store, settings, fixtures / f, fmt, at) for f, fmt, at in FILES
            ]
        ]

    assert summaries["mongodb"] == summaries["sqlite"]
    assert await _snapshot(stores["mongodb"]) == await _snapshot(stores["sqlite"])
    assert await stores["mongodb"].stats() == await stores["sqlite"].stats()
    assert await stores["mongodb"].categories() == await stores["sqlite"].categories()
    for store in stores.values():
        await store.close()


async def test_unreachable_mongodb_says_what_to_check(settings: Settings) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broken = _mongo_settings(settings, f"mongodb://127.0.0.1:{port}/?directConnection=true")
    broken.store.timeout_s = 0.5
    store = create_store(broken)

    with pytest.raises(StoreUnavailableError, match="SUPERSMART_STORE__MONGODB_URI"):
        await store.initialize()
