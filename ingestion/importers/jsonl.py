"""Reader for SuperSmart's own JSONL product format (documented in the README).

One product per line, with the fields of `core.domain.Product`, plus an optional
`price_history`: a list of `{"observed_at": "2026-10-01", "price": "1.95"}` giving earlier prices.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from core.domain import PriceObservation, Product
from ingestion.importers.base import ReadContext, guarded, read_jsonl_objects
from ingestion.records import DatedPrice, Record, Rejection


class JsonlReader:
    format: ClassVar[str] = "jsonl"
    description: ClassVar[str] = "SuperSmart JSONL products, optional price_history per product"

    def read(self, path: Path, context: ReadContext) -> Iterator[Record]:
        default_date = context.date_for(path)
        for line, obj in read_jsonl_objects(path):
            if isinstance(obj, Rejection):
                yield obj
                continue
            location = f"{path.name}:{line}"
            chain = str(obj.get("chain") or "unknown")
            history = obj.pop("price_history", None) or []
            record = guarded(chain, location, obj, partial(self._product, obj, default_date))
            yield record
            if not isinstance(record, Product):
                continue
            for entry in history:
                yield guarded(chain, location, entry, partial(self._price, record, entry))

    @staticmethod
    def _product(obj: dict[str, Any], default_date: datetime) -> Product:
        return Product.model_validate({"observed_at": default_date, **obj})

    @staticmethod
    def _price(product: Product, entry: dict[str, Any]) -> DatedPrice:
        return DatedPrice(
            product.chain, PriceObservation.model_validate({**entry, "product_id": product.id})
        )
