"""Each chain's site shape in the test shop: the same URLs and payload schemas as the real
sites (see the recorded responses in ../shared/data/pages), rendered from sample products.

A site maps a request path to a `Route`: which fault target it is (a product id, or
'listing') and how to build the body, given a content fault to apply (or None).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.allergens import ALLERGEN_NAMES_ES, AllergenInfo
from core.domain import Product
from ingestion.testshop.state import ShopState

Body = tuple[str, str]  # (content type, text)
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
PAGE = 10


@dataclass
class Route:
    target: str
    build: Callable[[str | None], Body]


def as_json(data: Any) -> Body:
    return JSON, json.dumps(data, ensure_ascii=False)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def declaration(info: AllergenInfo, tag: str = "strong") -> str | None:
    if info.is_unknown:
        return None
    parts = [f"Contiene <{tag}>{ALLERGEN_NAMES_ES[a]}</{tag}>." for a in sorted(info.contains)]
    parts += [f"Puede contener <{tag}>{ALLERGEN_NAMES_ES[a]}</{tag}>." for a in sorted(info.traces)]
    parts += [f"Libre de {ALLERGEN_NAMES_ES[a]}." for a in sorted(info.free)]
    return " ".join(parts) or "x99."


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def mutate(
    payload: dict[str, Any], fault: str | None, price_path: list[str], block: str
) -> dict[str, Any]:
    """Apply a content fault: drop the price, rename the block holding it, or drop everything."""
    if fault == "no_product_block":
        return {"message": "Producto no disponible"}
    if fault == "missing_price":
        holder = payload
        for key in price_path[:-1]:
            holder = holder[key]
        holder.pop(price_path[-1], None)
    if fault == "renamed_field":
        parent = payload
        *outer, last = block.split(".")
        for key in outer:
            parent = parent[key]
        parent[f"{last}_v2"] = parent.pop(last)
    return payload


class Site:
    chain: str

    def __init__(self, state: ShopState) -> None:
        self.state = state

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        raise NotImplementedError

    def products(self) -> list[Product]:
        return self.state.shelf(self.chain)

    def one(self, product_id: str) -> Product | None:
        return self.state.product(self.chain, product_id)


CONTENT_FAULTS = {"missing_price", "renamed_field", "no_product_block"}
