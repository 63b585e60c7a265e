"""The `Reader` protocol (one per file format) and helpers shared by the readers."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from core.errors import ImportFormatError, InputError
from ingestion.parsing import date_from_filename
from ingestion.records import Record, Rejection, RowRejected


@dataclass(frozen=True)
class ReadContext:
    """What a reader needs beyond the file: the observation date when the file has none."""

    observed_at: datetime | None = None

    def date_for(self, path: Path) -> datetime:
        return self.observed_at or date_from_filename(path.name) or datetime.now(UTC)


class Reader(Protocol):
    """Turns one file format into products, dated prices and rejections."""

    format: ClassVar[str]
    description: ClassVar[str]

    def read(self, path: Path, context: ReadContext) -> Iterator[Record]: ...


def read_csv_rows(
    path: Path, required: set[str], format_name: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV with its line number; fails early, and clearly, on the wrong columns."""
    _check_file(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        missing = required - columns
        if missing:
            raise ImportFormatError(
                f"{path.name} is not a '{format_name}' file: columns {sorted(missing)} are "
                f"missing (found {sorted(columns)}). Check --format; `supersmart import --help` "
                "lists the formats."
            )
        for row in reader:
            yield reader.line_num, {k: (v or "") for k, v in row.items() if k is not None}


def read_jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, Any] | Rejection]]:
    """Objects of a JSONL file; a line that is not JSON becomes a rejection, not a crash."""
    _check_file(path)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    Rejection(
                        chain="unknown",
                        reason="malformed_json",
                        message=f"Not valid JSON: {exc}.",
                        location=f"{path.name}:{number}",
                        excerpt=line[:200],
                    ),
                )
                continue
            if not isinstance(obj, dict):
                yield (
                    number,
                    Rejection(
                        chain="unknown",
                        reason="malformed_json",
                        message="Not a JSON object.",
                        location=f"{path.name}:{number}",
                        excerpt=line[:200],
                    ),
                )
                continue
            yield number, obj


def guarded(chain: str, location: str, excerpt: object, build: Callable[[], Record]) -> Record:
    """Run a row parser; a `RowRejected` (or a validation error) becomes a `Rejection`."""
    try:
        return build()
    except RowRejected as exc:
        return Rejection(
            chain=chain,
            reason=exc.reason,
            message=exc.message,
            location=location,
            field=exc.field,
            expected=exc.expected,
            excerpt=str(excerpt)[:300],
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        return Rejection(
            chain=chain,
            reason="invalid_record",
            message=f"Invalid record: {problems}."[:500],
            location=location,
            excerpt=str(excerpt)[:300],
        )


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(
            f"{path} does not exist or is not a file. Give the path of the file to import."
        )
