"""Carrefour: rendered pages (category listing -> product page with `window.__INITIAL_STATE__`).

The storefront is a JavaScript application, so product pages are fetched through the browser
fetcher (Playwright driving Debian's Chromium); the state object is then read from the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

from core.chains import CHAINS
from core.domain import Product
from ingestion.parsing import clean_text, parse_size, parse_unit
from ingestion.scrapers.base import Fetcher, ProductRef, Scraper, SiteChanged
from ingestion.scrapers.markup import anchors
from ingestion.scrapers.payload import (
    allergen_info,
    dig,
    excerpt,
    nutrition_from_labels,
    optional,
    optional_price,
    plain_text,
    price_at,
    text_at,
)

_STATE = re.compile(r"window\.__INITIAL_STATE__\s*=\s*")
_PRODUCT_PATH = re.compile(r"/R-([A-Za-z0-9-]+)/p$")
_SKIP_CRUMBS = {"inicio", "supermercado"}


class CarrefourScraper(Scraper):
    chain: ClassVar[str] = "carrefour"
    default_base_url: ClassVar[str] = CHAINS["carrefour"].site
    renders_pages: ClassVar[bool] = True
    start_path: ClassVar[str] = "/supermercado/c"

    async def discover(self, fetch: Fetcher) -> AsyncIterator[ProductRef]:
        url: str | None = f"{self.base_url}{self.start_path}"
        seen: set[str] = set()
        while url:
            page = await fetch.text(url)
            links = anchors(page)
            for link in links:
                found = _PRODUCT_PATH.search(link.get("href", ""))
                if found and found[1] not in seen:
                    seen.add(found[1])
                    yield ProductRef(found[1], urljoin(url, link["href"]))
            following = next(
                (a["href"] for a in links if "next" in a.get("rel", "").split() and a.get("href")),
                None,
            )
            url = urljoin(url, following) if following else None

    async def fetch(self, fetch: Fetcher, ref: ProductRef) -> Any:
        return await fetch.text(ref.url)

    def parse(self, payload: Any, observed_at: datetime) -> list[Product]:
        state = initial_state(str(payload))
        product = dig(state, "pdp", "product", expected="the product block")
        offer = dig(product, "offer", expected="the offer (price) block")
        info = optional(product, "nutrition_info") or {}
        name = text_at(product, "name", expected="the product name")
        size = parse_size(name)
        allergens = optional(info, "alergenos") or {}
        declaration = " ".join(
            f"{prefix} {value}."
            for prefix, key in (
                ("Contiene", "contiene"),
                ("Puede contener", "puedeContener"),
                ("Puede contener", "trazas"),
            )
            if (value := allergens.get(key))
        )
        rows = {
            str(optional(entry, "nombre") or key): optional(entry, "valor")
            for key, entry in info.items()
            if isinstance(entry, dict) and "valor" in entry
        }
        for key in ("grasas", "hidratos"):
            for sub in optional(info, key, "listaInfo") or []:
                rows[str(sub.get("nombre"))] = sub.get("valor")
        crumbs = optional(state, "pdp", "breadcrumb", "items") or []
        return [
            Product(
                chain=self.chain,
                chain_product_id=str(dig(product, "product_id")),
                name=name,
                brand=clean_text(optional(product, "brand", "description")),
                ean=clean_text(optional(product, "ean")),
                price=price_at(offer, "price"),
                reference_price=optional_price(offer, "price_per_unit"),
                reference_unit=parse_unit(optional(product, "measure_unit")),
                unit_size=size[0] if size else None,
                size_unit=size[1] if size else None,
                category_path=tuple(
                    t
                    for c in crumbs
                    if (t := clean_text(c.get("text"))) and t.lower() not in _SKIP_CRUMBS
                ),
                ingredients=plain_text(optional(info, "ingredientes")),
                allergens=allergen_info(declaration or None, optional(info, "ingredientes")),
                nutrition=nutrition_from_labels(
                    rows, optional(info, "valorEnergetico", "kilocalorias", "valor")
                ),
                url=urljoin(f"{self.base_url}/", str(optional(product, "url") or "").lstrip("/")),
                observed_at=observed_at,
            )
        ]


def initial_state(page: str) -> Any:
    """The JSON object assigned to `window.__INITIAL_STATE__` in a page."""
    marker = _STATE.search(page)
    if marker is None:
        raise SiteChanged(
            "no_product_block",
            "The page has no window.__INITIAL_STATE__.",
            field="window.__INITIAL_STATE__",
            expected="the page state script",
            excerpt=excerpt(page),
        )
    try:
        state, _ = json.JSONDecoder().raw_decode(page, marker.end())
    except json.JSONDecodeError as exc:
        raise SiteChanged(
            "malformed_payload",
            f"The page state is not valid JSON: {exc}.",
            field="window.__INITIAL_STATE__",
            expected="a JSON object",
            excerpt=excerpt(page[marker.end() :]),
        ) from None
    return state
