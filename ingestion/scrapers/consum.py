"""Consum: its REST catalogue API, whose listing pages carry whole product objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from core.chains import CHAINS
from core.domain import Product
from ingestion.parsing import clean_text, parse_size, parse_unit
from ingestion.scrapers.base import Fetcher, ProductRef, Scraper, SiteChanged
from ingestion.scrapers.payload import dig, excerpt, optional, price_at

PAGE_SIZE = 100


class ConsumScraper(Scraper):
    chain: ClassVar[str] = "consum"
    default_base_url: ClassVar[str] = CHAINS["consum"].site

    async def discover(self, fetch: Fetcher) -> AsyncIterator[ProductRef]:
        url = f"{self.base_url}/api/rest/V1.0/catalog/product"
        offset = 0
        while True:
            page = await fetch.json(url, params={"limit": PAGE_SIZE, "offset": offset})
            products = dig(page, "products", expected="a page of products")
            for item in products:
                code = str(optional(item, "code") or optional(item, "id") or "")
                yield ProductRef(code, f"{url}/{code}", payload=item)
            offset += len(products)
            if not products or not optional(page, "hasMore"):
                return

    async def fetch(self, fetch: Fetcher, ref: ProductRef) -> Any:
        return ref.payload if ref.payload is not None else await fetch.json(ref.url)

    def parse(self, payload: Any, observed_at: datetime) -> list[Product]:
        data = dig(payload, "productData", expected="productData")
        price_data = dig(payload, "priceData", expected="priceData")
        prices = {p.get("id"): p for p in dig(price_data, "prices", expected="prices")}
        current = prices.get("OFFER_PRICE") or prices.get("PRICE")
        if current is None:
            raise SiteChanged(
                "missing_field",
                "No PRICE entry in priceData.prices.",
                field="priceData.prices[id=PRICE]",
                expected="a PRICE entry",
                excerpt=excerpt(price_data),
            )
        price = price_at(current, "value", "centAmount")
        regular = prices.get("PRICE") if "OFFER_PRICE" in prices else None
        unit_text = str(optional(price_data, "unitPriceUnitType") or "")
        description = clean_text(optional(data, "description")) or ""
        size = parse_size(description) or parse_size(dig(data, "name"))
        categories = optional(payload, "categories") or []
        return [
            Product(
                chain=self.chain,
                chain_product_id=str(dig(payload, "code")),
                name=clean_text(dig(data, "name", expected="the product name")),
                brand=clean_text(optional(data, "brand", "name")),
                ean=clean_text(optional(payload, "ean")),
                price=price,
                regular_price=price_at(regular, "value", "centAmount") if regular else None,
                reference_price=price_at(current, "value", "centUnitAmount")
                if optional(current, "value", "centUnitAmount")
                else None,
                reference_unit=parse_unit(unit_text.split()[-1]) if unit_text else None,
                unit_size=size[0] if size else None,
                size_unit=size[1] if size else None,
                category_path=tuple(n for c in categories if (n := clean_text(c.get("name")))),
                url=clean_text(optional(data, "url")),
                observed_at=observed_at,
            )
        ]
