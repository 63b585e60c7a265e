"""Dia: its storefront JSON API (menu -> category listings -> product sheet by SKU)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from core.chains import CHAINS
from core.domain import Product, ReferenceUnit
from ingestion.parsing import clean_text, parse_size
from ingestion.scrapers.base import Fetcher, ProductRef, Scraper
from ingestion.scrapers.payload import (
    allergen_info,
    dig,
    nutrition_from_labels,
    optional,
    optional_price,
    plain_text,
    price_at,
    text_at,
)

_UNITS = {
    "LITRO": ReferenceUnit.L,
    "KILO": ReferenceUnit.KG,
    "KILOGRAMO": ReferenceUnit.KG,
    "UNIDAD": ReferenceUnit.UNIT,
    "METRO": ReferenceUnit.M,
}


class DiaScraper(Scraper):
    chain: ClassVar[str] = "dia"
    default_base_url: ClassVar[str] = CHAINS["dia"].site

    async def discover(self, fetch: Fetcher) -> AsyncIterator[ProductRef]:
        api = f"{self.base_url}/api/v1"
        menu = await fetch.json(f"{api}/common-aggregator/menu-data")
        seen: set[str] = set()
        for category in dig(menu, "categories", expected="the category menu"):
            page, pages = 1, 1
            while page <= pages:
                listing = await fetch.json(
                    f"{api}/plp-back/reduced{dig(category, 'url')}", params={"page": page}
                )
                pages = int(optional(listing, "pagination", "total_pages") or 1)
                for item in dig(listing, "plp_items", expected="listing rows"):
                    sku = str(dig(item, "sku_id"))
                    if sku not in seen:
                        seen.add(sku)
                        yield ProductRef(sku, f"{api}/pdp-back/{sku}")
                page += 1

    async def fetch(self, fetch: Fetcher, ref: ProductRef) -> Any:
        return await fetch.json(ref.url)

    def parse(self, payload: Any, observed_at: datetime) -> list[Product]:
        product = dig(payload, "product", expected="the product sheet")
        prices = dig(product, "prices", expected="prices")
        price = price_at(prices, "price")
        strikethrough = optional_price(prices, "strikethrough_price")
        title = text_at(product, "primary_info", "title", expected="the product name")
        size = parse_size(title)
        unit = _UNITS.get(str(optional(prices, "measure_unit") or "").upper())
        ingredients_html = optional(product, "ingredients", "text")
        values = optional(product, "nutritional_info", "nutritional_values") or {}
        rows: dict[str, Any] = {}
        for row in optional(values, "values") or []:
            rows[str(row.get("title", ""))] = row.get("value")
            for item in row.get("items") or []:
                rows[str(item.get("title", ""))] = item.get("value")
        sku = str(dig(product, "sku_id"))
        return [
            Product(
                chain=self.chain,
                chain_product_id=sku,
                name=title,
                price=price,
                regular_price=strikethrough if strikethrough and strikethrough > price else None,
                reference_price=optional_price(prices, "price_per_unit"),
                reference_unit=unit,
                unit_size=size[0] if size else None,
                size_unit=size[1] if size else None,
                category_path=tuple(
                    t
                    for crumb in optional(product, "breadcrumb") or []
                    if (t := clean_text(crumb.get("title")))
                ),
                ingredients=plain_text(ingredients_html),
                allergens=allergen_info(optional(product, "allergens", "text"), ingredients_html),
                nutrition=nutrition_from_labels(rows, optional(values, "energy_value")),
                storage_instructions=clean_text(
                    optional(product, "instructions", "storage_instructions", "text")
                ),
                url=self._product_url(product, sku),
                observed_at=observed_at,
            )
        ]

    def _product_url(self, product: Any, sku: str) -> str:
        """Dia's product pages live under their last category: /leche/c/L2051 -> /leche/p/SKU."""
        crumbs = optional(product, "breadcrumb") or []
        link = str(crumbs[-1].get("link") or "") if crumbs else ""
        folder = link.rsplit("/c/", 1)[0] if "/c/" in link else ""
        return f"{self.base_url}{folder}/p/{sku}"
