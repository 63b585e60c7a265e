"""File importers: one `Reader` per format, chosen by name with `--format`."""

from __future__ import annotations

from core.errors import InputError
from ingestion.importers.base import ReadContext, Reader
from ingestion.importers.jsonl import JsonlReader
from ingestion.importers.mercadona import (
    MercadonaCsvReader,
    MercadonaFoodReader,
    MercadonaHistoryReader,
)
from ingestion.importers.multichain import MultiChainCsvReader

READERS: dict[str, type[Reader]] = {
    reader.format: reader
    for reader in (
        MercadonaCsvReader,
        MercadonaHistoryReader,
        MercadonaFoodReader,
        MultiChainCsvReader,
        JsonlReader,
    )
}


def get_reader(format_name: str) -> Reader:
    try:
        return READERS[format_name]()
    except KeyError:
        raise InputError(
            f"Unknown import format {format_name!r}. Use one of: {', '.join(sorted(READERS))}."
        ) from None


__all__ = ["READERS", "ReadContext", "Reader", "get_reader"]
