"""Importing a file: read it with a `Reader`, check each record, mirror it to the data lake,
store it in batches under one execution, and summarise what happened.

Bad rows are rejected one by one (with their reason, as scrape-error records) and never stop the
import. Each batch is written to the data lake before the store, and stored in one transaction,
so a killed import leaves a consistent store; importing the same file again completes it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from core.domain import (
    Execution,
    ExecutionCounts,
    ExecutionStatus,
    PriceObservation,
    Product,
    ReferenceUnit,
    ScrapeError,
)
from core.settings import ImportSettings
from ingestion.importers import ReadContext, Reader
from ingestion.records import DatedPrice, Record, Rejection
from storage.base import ProductStore
from storage.datalake import DataLake


@dataclass
class ImportSummary:
    execution: Execution
    read: int = 0
    counts: ExecutionCounts = field(default_factory=ExecutionCounts)
    rejected: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    examples: dict[str, Rejection] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        """Records that reached the store: product records and dated prices."""
        counts = self.counts
        return counts.new + counts.updated + counts.unchanged + counts.prices


ProgressCallback = Callable[[ImportSummary], None]


def review_prices(
    product: Product, settings: ImportSettings
) -> tuple[Product | None, Rejection | None]:
    """Catch prices that cannot both be right: a package price far above its EUR/kg or EUR/l.

    Without a package size (loose items sold by weight) the package price is the wrong one (an
    upstream per-piece price 99x the EUR/kg): the row is skipped. With a size, the reference
    price disagrees with price / size: the product is kept without its reference price.
    """
    ref, unit = product.reference_price, product.reference_unit
    if ref is None or unit not in (ReferenceUnit.KG, ReferenceUnit.L):
        return product, None
    size = max(product.unit_size or 1.0, 1.0)
    ratio = float(product.price) / (float(ref) * size)
    if ratio <= settings.max_price_to_reference_ratio:
        return product, None
    expected = f"at most {settings.max_price_to_reference_ratio:g}x the reference price"
    excerpt = f"price={product.price} reference_price={ref} unit_size={product.unit_size}"
    if product.unit_size is None:
        return None, Rejection(
            chain=product.chain,
            reason="implausible_price",
            field="price",
            message=(
                f"{product.name!r} costs {product.price} € but {ref} €/{unit.value}: {ratio:.0f}x "
                f"its price per {unit.value}. The source probably multiplied a per-kg price; "
                "the row was skipped."
            ),
            location=product.url or product.id,
            expected=expected,
            excerpt=excerpt,
        )
    kept = product.model_copy(update={"reference_price": None, "reference_unit": None})
    return kept, Rejection(
        chain=product.chain,
        reason="inconsistent_reference_price",
        field="reference_price",
        message=(
            f"{product.name!r}: {ref} €/{unit.value} cannot be right for {product.price} € and "
            f"{product.unit_size} {unit.value}; the product was kept without a reference price."
        ),
        location=product.url or product.id,
        expected=expected,
        excerpt=excerpt,
        skipped=False,
    )


class FileImport:
    """One import run of one file into one store (and its data lake)."""

    def __init__(
        self,
        store: ProductStore,
        lake: DataLake | None,
        settings: ImportSettings,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._store = store
        self._lake = lake
        self._settings = settings
        self._on_progress = on_progress

    async def run(self, reader: Reader, path: Path, context: ReadContext) -> ImportSummary:
        source = f"import:{reader.format}"
        await self._store.interrupt_stale_executions(source)
        execution = await self._store.start_execution(source, "import", note=str(path))
        self._mirror_execution(execution)
        summary = ImportSummary(execution)
        status, note = ExecutionStatus.FAILED, None
        try:
            for batch in _batched(reader.read(path, context), self._settings.batch_size):
                await self._store_batch(execution.id, batch, summary)
                if self._on_progress:
                    self._on_progress(summary)
            status = ExecutionStatus.COMPLETED
        except (KeyboardInterrupt, asyncio.CancelledError):
            status, note = ExecutionStatus.ABORTED, "aborted by the user"
            raise
        except Exception as exc:
            note = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            summary.execution = await self._store.finish_execution(execution.id, status, note)
            self._mirror_execution(summary.execution)
        return summary

    async def _store_batch(
        self, execution_id: str, batch: list[Record], summary: ImportSummary
    ) -> None:
        summary.read += len(batch)
        products: list[Product] = []
        prices: list[DatedPrice] = []
        rejections: list[Rejection] = []
        for record in batch:
            if isinstance(record, Product):
                kept, issue = review_prices(record, self._settings)
                if kept is not None:
                    products.append(kept)
                if issue is not None:
                    rejections.append(issue)
            elif isinstance(record, DatedPrice):
                prices.append(record)
            else:
                rejections.append(record)

        if products:
            if self._lake:
                self._lake.append_products(execution_id, products)
            summary.counts += await self._store.upsert_products(execution_id, products)

        if prices:
            known = await self._store.get_products([p.observation.product_id for p in prices])
            rejections += [_unknown(p) for p in prices if p.observation.product_id not in known]
            prices = [p for p in prices if p.observation.product_id in known]
            for chain, observations in _by_chain(prices).items():
                if self._lake:
                    self._lake.append_observations(execution_id, chain, observations)
            summary.counts += await self._store.add_price_observations(
                execution_id, [p.observation for p in prices]
            )

        errors = [_to_error(execution_id, r) for r in rejections]
        if self._lake:
            self._lake.append_errors(execution_id, errors)
        await self._store.record_errors(execution_id, errors)
        for rejection in rejections:
            (summary.rejected if rejection.skipped else summary.warnings)[rejection.reason] += 1
            summary.examples.setdefault(rejection.reason, rejection)

    def _mirror_execution(self, execution: Execution) -> None:
        if self._lake:
            self._lake.write_execution(execution)


def _unknown(price: DatedPrice) -> Rejection:
    product_id = price.observation.product_id
    return Rejection(
        chain=price.chain,
        reason="unknown_product",
        message=f"{product_id} is not in the store: import its catalogue first, then the history.",
        location=product_id,
        field="product_id",
        excerpt=f"{price.observation.observed_at:%Y-%m-%d} {price.observation.price}",
    )


def _to_error(execution_id: str, rejection: Rejection) -> ScrapeError:
    return ScrapeError(
        execution_id=execution_id,
        chain=rejection.chain,
        reason=rejection.reason,
        message=rejection.message,
        url=rejection.location,
        field=rejection.field,
        expected=rejection.expected,
        excerpt=rejection.excerpt,
    )


def _by_chain(prices: Iterable[DatedPrice]) -> dict[str, list[PriceObservation]]:
    grouped: dict[str, list[PriceObservation]] = {}
    for price in prices:
        grouped.setdefault(price.chain, []).append(price.observation)
    return grouped


def _batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch
