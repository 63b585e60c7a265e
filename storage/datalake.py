"""The JSONL data lake: an append-only mirror of everything ingested, written before the store.

Layout under the data-lake folder::

    executions/<execution_id>.json             the execution record (rewritten when it ends)
    <chain>/<execution_id>/products.jsonl      products as observed, one JSON object a line
    <chain>/<execution_id>/observations.jsonl  dated prices (price-history imports)
    <chain>/<execution_id>/errors.jsonl        records that were rejected, with the reason

Every batch is flushed (and fsynced) before it reaches the store, so a store failure or a killed
process loses nothing: `supersmart store rebuild --from-datalake` replays it into an empty store.
A disk that is full or read-only stops the run with `StoreUnavailableError` saying what to do.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from core.domain import Execution, PriceObservation, Product, ScrapeError
from core.errors import InputError
from storage.write_faults import FULL_ERRNOS, WRITE_ERRNOS, write_fault

PRODUCTS = "products.jsonl"
OBSERVATIONS = "observations.jsonl"
ERRORS = "errors.jsonl"

_Record = TypeVar("_Record", bound=BaseModel)


class DataLake:
    """Writes and reads the JSONL mirror."""

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root = root
        self._fsync = fsync

    def write_execution(self, execution: Execution) -> None:
        path = self.root / "executions" / f"{execution.id}.json"
        with _disk_faults(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(execution.model_dump_json(indent=2), encoding="utf-8")
            os.replace(tmp, path)

    def append_products(self, execution_id: str, products: Sequence[Product]) -> None:
        self._append(execution_id, PRODUCTS, [(p.chain, p) for p in products])

    def append_observations(
        self, execution_id: str, chain: str, observations: Sequence[PriceObservation]
    ) -> None:
        self._append(execution_id, OBSERVATIONS, [(chain, o) for o in observations])

    def append_errors(self, execution_id: str, errors: Sequence[ScrapeError]) -> None:
        self._append(execution_id, ERRORS, [(e.chain, e) for e in errors])

    def _append(self, execution_id: str, name: str, items: Sequence[tuple[str, BaseModel]]) -> None:
        by_chain: dict[str, list[str]] = defaultdict(list)
        for chain, item in items:
            by_chain[chain].append(item.model_dump_json(exclude_none=True))
        for chain, lines in by_chain.items():
            path = self.root / chain / execution_id / name
            with _disk_faults(path):
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write("\n".join(lines) + "\n")
                    handle.flush()
                    if self._fsync:
                        os.fsync(handle.fileno())

    # reading ------------------------------------------------------------------------------
    def executions(self) -> list[Execution]:
        """Every recorded execution, oldest first (the order to replay them in)."""
        folder = self.root / "executions"
        if not folder.is_dir():
            raise InputError(
                f"No data lake at {self.root}: nothing was ingested with the data lake enabled, "
                "or SUPERSMART_DATALAKE__PATH points elsewhere."
            )
        found = [
            Execution.model_validate_json(path.read_text(encoding="utf-8"))
            for path in folder.glob("*.json")
        ]
        return sorted(found, key=lambda e: e.started_at)

    def replay(self, execution_id: str) -> ExecutionRecords:
        records = ExecutionRecords()
        for folder in sorted(self.root.glob(f"*/{execution_id}")):
            records.products.extend(_read(folder / PRODUCTS, Product))
            records.observations.extend(_read(folder / OBSERVATIONS, PriceObservation))
            records.errors.extend(_read(folder / ERRORS, ScrapeError))
        return records


@contextmanager
def _disk_faults(path: Path) -> Iterator[None]:
    """A full or read-only disk as an error that says what to do; others as they are."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            raise
        full = exc.errno in FULL_ERRNOS
        raise write_fault("the data lake", path, exc, full, "SUPERSMART_DATALAKE__PATH") from exc


@dataclass
class ExecutionRecords:
    products: list[Product] = field(default_factory=list)
    observations: list[PriceObservation] = field(default_factory=list)
    errors: list[ScrapeError] = field(default_factory=list)


def _read(path: Path, model: type[_Record]) -> Iterator[_Record]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield model.model_validate_json(line)
            except ValueError as exc:
                # A line cut short by a crash is the only expected damage: skip it, say where.
                if line.endswith("\n"):
                    raise InputError(f"{path}:{number} is not a valid record: {exc}") from exc
