"""The test shop's Carrefour site (same paths and payloads as the real one)."""

from __future__ import annotations

import json
import re
from typing import Any

from core.allergens import ALLERGEN_NAMES_ES
from core.domain import Product
from ingestion.testshop.sites.common import (
    HTML,
    PAGE,
    Body,
    Route,
    Site,
    mutate,
    slug,
)


class CarrefourSite(Site):
    chain = "carrefour"

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        if path == "/supermercado/c":
            rows = self.products()
            page = max(1, int(query.get("page", "1")))
            chunk = rows[(page - 1) * PAGE : page * PAGE]
            links = "".join(
                f'<li><a href="{self.prefix}{self.path_of(p)}">{p.name}</a></li>' for p in chunk
            )
            more = page * PAGE < len(rows)
            following = (
                (f'<a rel="next" href="{self.prefix}/supermercado/c?page={page + 1}">Siguiente</a>')
                if more
                else ""
            )
            html = f"<!doctype html><html><body><ul>{links}</ul>{following}</body></html>"
            return Route("listing", lambda fault: (HTML, html))
        if match := re.fullmatch(r"/supermercado/[^/]+/R-([^/]+)/p", path):
            product = self.one(match[1])
            if product is None:
                return None
            p = product

            def build(fault: str | None) -> Body:
                state = mutate(
                    {
                        "pdp": {
                            "product": self.render(p),
                            "breadcrumb": {
                                "items": [
                                    {"text": "Inicio"},
                                    {"text": "Supermercado"},
                                    *({"text": c} for c in p.category_path),
                                ]
                            },
                        }
                    },
                    fault,
                    ["pdp", "product", "offer", "price"],
                    "pdp.product.offer",
                )
                script = (
                    f"<script>window.__INITIAL_STATE__ = {json.dumps(state)};</script>"
                    if fault != "no_product_block"
                    else ""
                )
                return HTML, (
                    f"<!doctype html><html><head><title>{p.name}</title></head>"
                    f'<body><div id="app"></div>{script}</body></html>'
                )

            return Route(p.chain_product_id, build)
        return None

    prefix = "/carrefour"

    @staticmethod
    def path_of(p: Product) -> str:
        return f"/supermercado/{slug(p.name)}/R-{p.chain_product_id}/p"

    def render(self, p: Product) -> dict[str, Any]:
        contains = ", ".join(ALLERGEN_NAMES_ES[a] for a in sorted(p.allergens.contains))
        traces = ", ".join(ALLERGEN_NAMES_ES[a] for a in sorted(p.allergens.traces))
        alergenos = {k: v for k, v in (("contiene", contains), ("puedeContener", traces)) if v}
        return {
            "product_id": p.chain_product_id,
            "ean": p.ean,
            "name": p.name,
            "brand": {"description": p.brand},
            "url": self.path_of(p),
            "measure_unit": p.reference_unit,
            "offer": {
                "price": f"{p.price:.2f} €".replace(".", ","),
                "price_per_unit": f"{p.reference_price:.2f} €".replace(".", ",")
                if p.reference_price
                else None,
            },
            "nutrition_info": {"alergenos": alergenos, "ingredientes": p.ingredients or ""},
        }
