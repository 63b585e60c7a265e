"""Reader for the multi-chain price CSV (Consum, Dia, Supermercados Más): Nombre, Marca, Precio,
Supermercado, URL. Package sizes are read from the product name to derive EUR/kg and EUR/l."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlparse

from core.domain import Product
from ingestion.importers.base import ReadContext, guarded, read_csv_rows
from ingestion.parsing import (
    chain_slug,
    clean_text,
    parse_price,
    parse_size,
    reference_price_for,
)
from ingestion.records import Record, RowRejected

_PLACEHOLDER = re.compile(r"no disponible", re.IGNORECASE)


def product_id_from_url(url: str) -> str:
    """Chain product id: the last path segment of the product URL. Consum '/p/slug/401356',
    Dia '/p/17548P6' (a 6-pack of product 17548), Supermercados Más '/alimentacion/slug/'."""
    parsed = urlparse(url)
    if not parsed.scheme or not parsed.path.strip("/"):
        raise RowRejected("bad_url", f"{url!r} is not a product URL.", "URL", "https://...")
    if "/c/" in parsed.path:
        raise RowRejected(
            "not_a_product", f"{url!r} is a category page, not a product.", "URL", "/p/<id>"
        )
    return parsed.path.rstrip("/").rsplit("/", 1)[-1]


class MultiChainCsvReader:
    format: ClassVar[str] = "multichain-csv"
    description: ClassVar[str] = (
        "Consum / Dia / Supermercados Más price CSV (Nombre, Marca, Precio, Supermercado, URL)"
    )
    COLUMNS: ClassVar[set[str]] = {"Nombre", "Precio", "Supermercado", "URL"}

    def read(self, path: Path, context: ReadContext) -> Iterator[Record]:
        observed_at = context.date_for(path)
        for line, row in read_csv_rows(path, self.COLUMNS, self.format):
            chain = chain_slug(row["Supermercado"]) if row["Supermercado"].strip() else "unknown"
            yield guarded(
                chain, f"{path.name}:{line}", row, partial(self._product, row, chain, observed_at)
            )

    @staticmethod
    def _product(row: dict[str, str], chain: str, observed_at: datetime) -> Product:
        price = parse_price(row["Precio"], "Precio")
        name = clean_text(row["Nombre"])
        if not name or _PLACEHOLDER.search(name):
            raise RowRejected("missing_name", f"The product name is {name!r}.", "Nombre")
        brand = clean_text(row.get("Marca"))
        if brand and _PLACEHOLDER.search(brand):
            brand = None
        size = parse_size(name)
        url = clean_text(row["URL"]) or ""
        return Product(
            chain=chain,
            chain_product_id=product_id_from_url(url),
            name=name,
            brand=brand,
            price=price,
            unit_size=size[0] if size else None,
            size_unit=size[1] if size else None,
            reference_price=reference_price_for(price, size[0]) if size else None,
            reference_unit=size[1] if size else None,
            url=url,
            observed_at=observed_at,
        )
