"""Store fixtures: every test using them runs on SQLite and on MongoDB.

`store` is the whole `ProductStore`; `execution_log`, `error_log` and `catalogue` are its parts
built on their own on one connection, as a user that needs only one part would see it.

MongoDB means SUPERSMART_TEST_MONGODB_URI when it is set (a real server), otherwise the
wire-protocol test server in tests/fakes, started once per session on 127.0.0.1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.settings import Settings, StoreSettings
from storage.base import Catalogue, ErrorLog, ExecutionLog, ProductStore
from storage.sqlite.catalogue import SqliteCatalogue
from storage.sqlite.connection import SqliteConnection
from storage.sqlite.errors import SqliteErrorLog
from storage.sqlite.executions import SqliteExecutionLog
from storage.sqlite.schema import MIGRATIONS, SCHEMA
from storage.sqlite.store import SqliteProductStore


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


def on_backend(base: Settings, kind: str, request: pytest.FixtureRequest) -> Settings:
    """`base` with its store on SQLite (its data folder's file) or on a fresh MongoDB database."""
    if kind == "sqlite":
        return base
    uri = SecretStr(request.getfixturevalue("mongodb_uri"))
    store = StoreSettings(
        mongodb_uri=uri, mongodb_database=f"t{uuid.uuid4().hex[:10]}", timeout_s=5
    )
    return base.model_copy(update={"store": store})


@pytest.fixture(params=["sqlite", "mongodb"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Settings whose store is each backend in turn (the record sets beside it follow)."""
    return on_backend(settings, request.param, request)


@pytest.fixture(params=["sqlite", "mongodb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ProductStore]:
    if request.param == "sqlite":
        backend: ProductStore = SqliteProductStore(tmp_path / "store.db")
    else:
        from storage.mongo.store import MongoProductStore

        uri = request.getfixturevalue("mongodb_uri")
        backend = MongoProductStore(uri, f"test_{uuid.uuid4().hex[:12]}", timeout_s=5)
    await backend.initialize()
    yield backend
    if request.param == "mongodb":
        await backend.db.client.drop_database(backend.db.name)  # type: ignore[attr-defined]
    await backend.close()


@dataclass(frozen=True)
class Parts:
    executions: ExecutionLog
    errors: ErrorLog
    catalogue: Catalogue


@pytest.fixture(params=["sqlite", "mongodb"])
async def parts(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Parts]:
    if request.param == "sqlite":
        sql = SqliteConnection(tmp_path / "store.db")
        await sql.open(SCHEMA, MIGRATIONS)
        yield Parts(SqliteExecutionLog(sql), SqliteErrorLog(sql), SqliteCatalogue(sql))
        await sql.close()
        return
    from storage.mongo.catalogue import MongoCatalogue
    from storage.mongo.connection import MongoConnection
    from storage.mongo.errors import MongoErrorLog
    from storage.mongo.executions import MongoExecutionLog
    from storage.mongo.store import create_indexes

    name = f"test_{uuid.uuid4().hex[:12]}"
    mongo = MongoConnection(request.getfixturevalue("mongodb_uri"), name, timeout_s=5)
    await mongo.open(create_indexes)
    yield Parts(MongoExecutionLog(mongo), MongoErrorLog(mongo), MongoCatalogue(mongo))
    await mongo.db.client.drop_database(name)
    await mongo.close()


@pytest.fixture
def execution_log(parts: Parts) -> ExecutionLog:
    return parts.executions


@pytest.fixture
def error_log(parts: Parts) -> ErrorLog:
    return parts.errors


@pytest.fixture
def catalogue(parts: Parts) -> Catalogue:
    return parts.catalogue
