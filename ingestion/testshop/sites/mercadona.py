"""The test shop's Mercadona site (same paths and payloads as the real one)."""

from __future__ import annotations

import re
from typing import Any

from core.domain import Product
from ingestion.testshop.sites.common import (
    Route,
    Site,
    as_json,
    declaration,
    money,
    mutate,
    slug,
)


class MercadonaSite(Site):
    chain = "mercadona"

    def _tree(self) -> dict[str, dict[str, list[Product]]]:
        tree: dict[str, dict[str, list[Product]]] = {}
        for p in self.products():
            top = p.category_path[0] if p.category_path else "Otros"
            sub = p.category_path[1] if len(p.category_path) > 1 else top
            tree.setdefault(top, {}).setdefault(sub, []).append(p)
        return tree

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        tree = self._tree()
        subs = [(top, sub) for top in tree for sub in tree[top]]
        if path == "/api/categories/":
            results = [
                {
                    "id": n + 1,
                    "name": top,
                    "categories": [
                        {"id": 100 + subs.index((top, sub)), "name": sub} for sub in tree[top]
                    ],
                }
                for n, top in enumerate(tree)
            ]
            return Route(
                "listing", lambda fault: as_json({"count": len(results), "results": results})
            )
        if match := re.fullmatch(r"/api/categories/(\d+)/", path):
            index = int(match[1]) - 100
            if not 0 <= index < len(subs):
                return None
            top, sub = subs[index]
            listing = {
                "id": int(match[1]),
                "name": sub,
                "categories": [
                    {
                        "id": int(match[1]) * 10,
                        "name": sub,
                        "products": [
                            {"id": p.chain_product_id, "display_name": p.name}
                            for p in tree[top][sub]
                        ],
                    }
                ],
            }
            return Route("listing", lambda fault: as_json(listing))
        if (match := re.fullmatch(r"/api/products/([^/]+)/", path)) and (p := self.one(match[1])):
            return Route(
                p.chain_product_id,
                lambda fault: as_json(
                    mutate(
                        self.render(p),
                        fault,
                        ["price_instructions", "unit_price"],
                        "price_instructions",
                    )
                ),
            )
        return None

    @staticmethod
    def render(p: Product) -> dict[str, Any]:
        nested: list[dict[str, Any]] = []
        level = nested
        for depth, name in enumerate(p.category_path):
            node: dict[str, Any] = {"id": depth + 1, "name": name, "level": depth, "categories": []}
            level.append(node)
            level = node["categories"]
        return {
            "id": p.chain_product_id,
            "ean": p.ean,
            "slug": slug(p.name),
            "brand": p.brand,
            "display_name": p.name,
            "packaging": p.packaging,
            "origin": p.origin,
            "share_url": f"https://tienda.mercadona.es/product/{p.chain_product_id}/{slug(p.name)}",
            "categories": nested,
            "details": {
                "description": p.name,
                "storage_instructions": p.storage_instructions,
                "usage_instructions": p.usage_instructions,
                "mandatory_mentions": "",
            },
            "price_instructions": {
                "unit_price": money(p.price),
                "bulk_price": money(p.reference_price),
                "reference_format": p.reference_unit,
                "unit_size": p.unit_size,
                "size_format": p.size_unit,
                "previous_unit_price": None,
                "iva": 10,
            },
            "nutrition_information": {
                "allergens": declaration(p.allergens),
                "ingredients": p.ingredients,
            },
        }
