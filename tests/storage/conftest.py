"""`store` fixture: every test using it runs on SQLite and on MongoDB.

MongoDB means SUPERSMART_TEST_MONGODB_URI when it is set (a real server), otherwise the
wire-protocol test server in tests/fakes, started once per session on 127.0.0.1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from storage.base import ProductStore
from storage.sqlite import SqliteProductStore


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    uri = os.environ.get("SUPERSMART_TEST_MONGODB_URI")
    if uri:
        yield uri
        return
    pytest.importorskip("pymongo")
    pytest.importorskip("mongomock", reason="the MongoDB test server needs mongomock (dev extra)")
    from tests.fakes.mongo_wire import FakeMongoServer

    with FakeMongoServer() as server:
        yield server.uri


@pytest.fixture(params=["sqlite", "mongodb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProductStore]:
    if request.param == "sqlite":
        backend: ProductStore = SqliteProductStore(tmp_path / "store.db")
    else:
        from storage.mongo import MongoProductStore

        uri = request.getfixturevalue("mongodb_uri")
        backend = MongoProductStore(uri, f"test_{uuid.uuid4().hex[:12]}", timeout_s=5)
    await backend.initialize()
    yield backend
    if request.param == "mongodb":
        await backend.db.client.drop_database(backend.db.name)  # type: ignore[attr-defined]
    await backend.close()
