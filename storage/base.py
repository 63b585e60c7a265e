"""The store's seams, and the `ProductStore` that joins them, with their small result types.

A user depends on the part it needs: the execution log (runs and their counters), the error log
(scrape errors), the catalogue (products and price history; `CatalogueReader` for those that only
read). Each backend implements every part on one connection.

Contract (checked by `tests/storage/test_execution_log.py`, `test_error_log.py`,
`test_catalogue.py` and `test_store_contract.py` on every implementation):
- a product is identified by `Product.id`; upserting identical content adds no version;
- a price observation is stored only when the price differs from the one in force at that date,
  so the history of a product is a list of real changes;
- each write call is atomic and updates its execution's counters in the same transaction, so an
  interrupted run leaves counts that match what was stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from core.domain import (
    Execution,
    ExecutionCounts,
    ExecutionStatus,
    PriceObservation,
    Product,
    ScrapeError,
)


@dataclass(frozen=True)
class CategoryCount:
    chain: str
    path: tuple[str, ...]
    products: int


@dataclass(frozen=True)
class ChainStats:
    chain: str
    products: int
    price_observations: int
    products_with_price_changes: int
    last_observed_at: datetime | None


@dataclass(frozen=True)
class PriceChange:
    """A product's price moving from `before` to `after` at `at`."""

    product_id: str
    before: Decimal
    after: Decimal
    at: datetime


class ExecutionLog(Protocol):
    """The record of every run that fed the store (scrape, import, restore): its status, its
    counters and the flag that asks it to stop."""

    async def start_execution(
        self, source: str, kind: str, note: str | None = None
    ) -> Execution: ...

    async def finish_execution(
        self, execution_id: str, status: ExecutionStatus, note: str | None = None
    ) -> Execution: ...

    async def interrupt_stale_executions(self, source: str) -> int:
        """Mark executions of `source` still 'running' as 'interrupted'; return how many."""

    async def request_abort(self, source: str | None = None) -> int:
        """Ask running executions (of `source`, or all) to stop; return how many were asked."""

    async def abort_requested(self, execution_id: str) -> bool: ...

    async def record_execution(self, execution: Execution) -> None:
        """Write an execution record exactly as given (used to restore from the data lake)."""

    async def get_execution(self, execution_id: str) -> Execution | None: ...

    async def list_executions(
        self, limit: int = 20, source: str | None = None
    ) -> list[Execution]: ...


class ErrorLog(Protocol):
    """Scrape-error records: the signal that a site changed. Recording counts them in their
    execution."""

    async def record_errors(self, execution_id: str, errors: Sequence[ScrapeError]) -> None: ...

    async def list_errors(
        self, execution_id: str | None = None, chain: str | None = None, limit: int = 100
    ) -> list[ScrapeError]: ...


class CatalogueReader(Protocol):
    """Products as last observed, their price history and search: what the index, the chat
    service and the dashboard read."""

    async def get_product(self, product_id: str) -> Product | None: ...

    async def get_products(self, product_ids: Sequence[str]) -> dict[str, Product]: ...

    async def find_by_ean(self, ean: str) -> list[Product]: ...

    async def list_products(
        self,
        chain: str | None = None,
        category_prefix: Sequence[str] = (),
        limit: int = 100,
        offset: int = 0,
    ) -> list[Product]: ...

    async def count_products(self, chain: str | None = None) -> int: ...

    async def content_hashes(self) -> dict[str, str]:
        """Every product's id and the hash of its content (all but the observation time):
        what an index refresh compares to find what changed, without reading the products."""

    async def categories(self, chain: str | None = None) -> list[CategoryCount]: ...

    async def price_history(self, product_id: str) -> list[PriceObservation]: ...

    async def price_changes(self, since: datetime, limit: int = 20_000) -> list[PriceChange]:
        """Price changes observed at or after `since` (a product's first price is none)."""

    async def changed_since(self, since: datetime, limit: int = 10_000) -> list[Product]:
        """Products whose content (price included) changed at or after `since`."""

    async def search(self, text: str, limit: int = 20, chain: str | None = None) -> list[Product]:
        """Full-text search over name, brand, category and ingredients, accent-insensitive."""

    async def stats(self) -> list[ChainStats]: ...


class Catalogue(CatalogueReader, Protocol):
    """The catalogue with its writes: versioned products and their price history, counted in
    the execution that wrote them."""

    async def upsert_products(
        self, execution_id: str, products: Sequence[Product]
    ) -> ExecutionCounts:
        """Store products as observed; new version only on change, observation on price change."""

    async def add_price_observations(
        self, execution_id: str, observations: Sequence[PriceObservation]
    ) -> ExecutionCounts:
        """Merge dated prices of known products into their history (unknown ids are skipped)."""


@runtime_checkable
class ProductStore(ExecutionLog, ErrorLog, Catalogue, Protocol):
    """The three parts on one database, opened and closed together."""

    async def initialize(self) -> None:
        """Open connections and create the schema if needed (idempotent)."""

    async def close(self) -> None: ...
