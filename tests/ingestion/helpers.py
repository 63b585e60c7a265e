"""Running imports in tests the way the CLI does: SQLite store, data lake, settings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from core.settings import Settings
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport, ImportSummary
from storage.base import ProductStore
from storage.factory import create_datalake


async def import_into(
    store: ProductStore,
    settings: Settings,
    path: Path,
    format_name: str,
    observed_at: datetime | None = None,
) -> ImportSummary:
    job = FileImport(store, create_datalake(settings), settings.imports)
    return await job.run(get_reader(format_name), path, ReadContext(observed_at=observed_at))
