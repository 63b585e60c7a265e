"""Alcampo: its online shop on the Ocado platform (product pages -> product + bopData)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from core.chains import CHAINS
from core.domain import Product, ReferenceUnit
from ingestion.parsing import clean_text, parse_size
from ingestion.scrapers.base import Fetcher, ProductRef, Scraper
from ingestion.scrapers.markup import table_rows
from ingestion.scrapers.payload import (
    allergen_info,
    dig,
    nutrition_from_labels,
    optional,
    plain_text,
    price_at,
    text_at,
)

PAGE_SIZE = 50
_UNITS = {
    "PER_LITRE": ReferenceUnit.L,
    "PER_1KG": ReferenceUnit.KG,
    "PER_KG": ReferenceUnit.KG,
    "EACH": ReferenceUnit.UNIT,
    "PER_DOZEN": None,
}
_PACK = re.compile(r"(\d+(?:[.,]\d+)?)\s*(ml|l|cl|g|kg)\b", re.IGNORECASE)


class AlcampoScraper(Scraper):
    chain: ClassVar[str] = "alcampo"
    default_base_url: ClassVar[str] = CHAINS["alcampo"].site

    async def discover(self, fetch: Fetcher) -> AsyncIterator[ProductRef]:
        listing = f"{self.base_url}/api/webproductpagews/v6/product-pages"
        offset = 0
        while True:
            page = await fetch.json(listing, params={"offset": offset, "limit": PAGE_SIZE})
            groups = dig(page, "productGroups", expected="product groups")
            ids = [str(dig(p, "retailerProductId")) for g in groups for p in g.get("products", [])]
            for product_id in ids:
                yield ProductRef(
                    product_id,
                    f"{self.base_url}/api/webproductpagews/v5/products/bop"
                    f"?retailerProductId={product_id}",
                )
            offset += len(ids)
            if not ids or offset >= int(optional(page, "total") or 0):
                return

    async def fetch(self, fetch: Fetcher, ref: ProductRef) -> Any:
        return await fetch.json(ref.url)

    def parse(self, payload: Any, observed_at: datetime) -> list[Product]:
        product = dig(payload, "product", expected="the product")
        fields = {
            f.get("title"): f.get("content")
            for f in optional(payload, "bopData", "fields") or []
            if isinstance(f, dict)
        }
        name = text_at(product, "name", expected="the product name")
        size = _pack_size(optional(product, "packSizeDescription")) or parse_size(name)
        ingredients_html = fields.get("ingredients")
        ingredients = plain_text(ingredients_html)
        if ingredients and ingredients.lower().startswith("ingredientes:"):
            ingredients = ingredients.split(":", 1)[1].strip()
        return [
            Product(
                chain=self.chain,
                chain_product_id=str(dig(product, "retailerProductId")),
                name=name,
                brand=clean_text(optional(product, "brand")),
                price=price_at(product, "price", "amount"),
                reference_price=price_at(product, "unitPrice", "price", "amount")
                if optional(product, "unitPrice", "price", "amount")
                else None,
                reference_unit=_UNITS.get(str(optional(product, "unitPrice", "unitName"))),
                unit_size=size[0] if size else None,
                size_unit=size[1] if size else None,
                category_path=tuple(
                    n for c in optional(product, "categoryPath") or [] if (n := clean_text(c))
                ),
                ingredients=ingredients,
                allergens=allergen_info(fields.get("allergens"), ingredients_html),
                nutrition=nutrition_from_labels(_table(fields.get("nutritionalData"))),
                storage_instructions=clean_text(fields.get("storageAndUsage")),
                url=f"{self.base_url}/products/{dig(product, 'retailerProductId')}",
                observed_at=observed_at,
            )
        ]


def _pack_size(text: Any) -> tuple[float, ReferenceUnit] | None:
    """'6000ml' -> (6.0, l); '500g' -> (0.5, kg)."""
    match = _PACK.search(str(text or ""))
    return parse_size(f"{match[1]} {match[2]}") if match else None


def _table(html: str | None) -> dict[str, str]:
    """Two-column HTML table -> {label: value}."""
    rows: dict[str, str] = {}
    for cells in table_rows(html or ""):
        if len(cells) >= 2:
            rows[cells[0]] = cells[1]
    return rows
