"""Composition of the storage layer from settings: which store, which data lake."""

from __future__ import annotations

from core.errors import ConfigurationError
from core.settings import Settings
from storage.base import ProductStore
from storage.datalake import DataLake
from storage.sqlite.store import SqliteProductStore


def create_store(settings: Settings) -> ProductStore:
    """The configured store, not yet initialized (call `await store.initialize()`)."""
    if settings.store_backend == "sqlite":
        return SqliteProductStore(settings.sqlite_path, timeout_s=settings.store.timeout_s)
    if settings.store.mongodb_uri is None:
        raise ConfigurationError(
            "The MongoDB store is selected but no URI is set: set SUPERSMART_STORE__MONGODB_URI "
            "(e.g. mongodb://localhost:27017) or SUPERSMART_STORE__BACKEND=sqlite."
        )
    from storage.mongo.store import MongoProductStore  # pymongo is an optional extra

    return MongoProductStore(
        settings.store.mongodb_uri.get_secret_value(),
        settings.store.mongodb_database,
        timeout_s=settings.store.timeout_s,
    )


def create_datalake(settings: Settings) -> DataLake | None:
    if not settings.datalake.enabled:
        return None
    return DataLake(settings.datalake_path, fsync=settings.datalake.fsync)
