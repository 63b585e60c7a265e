"""Mercadona: its public JSON API (category tree -> category -> product detail)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from core.chains import CHAINS
from core.domain import Product
from ingestion.parsing import clean_text, parse_float, parse_unit
from ingestion.scrapers.base import Fetcher, ProductRef, Scraper
from ingestion.scrapers.payload import (
    allergen_info,
    dig,
    optional,
    optional_price,
    plain_text,
    price_at,
)


class MercadonaScraper(Scraper):
    chain: ClassVar[str] = "mercadona"
    default_base_url: ClassVar[str] = CHAINS["mercadona"].site

    async def discover(self, fetch: Fetcher) -> AsyncIterator[ProductRef]:
        tree = await fetch.json(f"{self.base_url}/api/categories/")
        seen: set[str] = set()
        for top in dig(tree, "results", expected="the category tree"):
            for category in dig(top, "categories", expected="subcategories"):
                listing = await fetch.json(f"{self.base_url}/api/categories/{category['id']}/")
                for section in dig(listing, "categories", expected="category sections"):
                    for item in dig(section, "products", expected="products"):
                        product_id = str(dig(item, "id"))
                        if product_id not in seen:
                            seen.add(product_id)
                            yield ProductRef(
                                product_id, f"{self.base_url}/api/products/{product_id}/"
                            )

    async def fetch(self, fetch: Fetcher, ref: ProductRef) -> Any:
        return await fetch.json(ref.url)

    def parse(self, payload: Any, observed_at: datetime) -> list[Product]:
        prices = dig(payload, "price_instructions", expected="price_instructions")
        price = price_at(prices, "unit_price")
        previous = optional_price(prices, "previous_unit_price")
        unit = parse_unit(optional(prices, "reference_format") or optional(prices, "size_format"))
        nutrition_info = optional(payload, "nutrition_information") or {}
        details = optional(payload, "details") or {}
        return [
            Product(
                chain=self.chain,
                chain_product_id=str(dig(payload, "id")),
                name=clean_text(optional(payload, "display_name"))
                or clean_text(dig(payload, "details", "description")),
                brand=clean_text(optional(payload, "brand")),
                ean=clean_text(optional(payload, "ean")),
                price=price,
                regular_price=previous if previous and previous > price else None,
                reference_price=optional_price(prices, "bulk_price"),
                reference_unit=unit,
                unit_size=parse_float(optional(prices, "unit_size")),
                size_unit=parse_unit(optional(prices, "size_format")),
                packaging=clean_text(optional(payload, "packaging")),
                category_path=_category_path(optional(payload, "categories")),
                ingredients=plain_text(optional(nutrition_info, "ingredients")),
                allergens=allergen_info(
                    optional(nutrition_info, "allergens"),
                    optional(nutrition_info, "ingredients"),
                    claims=(optional(details, "mandatory_mentions"),),
                ),
                storage_instructions=clean_text(optional(details, "storage_instructions")),
                usage_instructions=clean_text(optional(details, "usage_instructions")),
                origin=clean_text(optional(payload, "origin")),
                url=clean_text(optional(payload, "share_url")),
                observed_at=observed_at,
            )
        ]


def _category_path(categories: Any) -> tuple[str, ...]:
    """The nested first-category chain: Aperitivos > Frutos secos y fruta desecada > ..."""
    path: list[str] = []
    level = categories
    while isinstance(level, list) and level:
        name = clean_text(level[0].get("name"))
        if name and (not path or path[-1] != name):
            path.append(name)
        level = level[0].get("categories")
    return tuple(path)
