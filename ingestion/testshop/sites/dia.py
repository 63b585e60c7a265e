"""The test shop's Dia site (same paths and payloads as the real one)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from core.domain import Product
from ingestion.testshop.sites.common import (
    PAGE,
    Route,
    Site,
    as_json,
    declaration,
    mutate,
    slug,
)


class DiaSite(Site):
    chain = "dia"
    _units: ClassVar[dict[str, str]] = {"l": "LITRO", "kg": "KILO", "ud": "UNIDAD", "m": "METRO"}

    def _categories(self) -> dict[str, list[Product]]:
        groups: dict[str, list[Product]] = {}
        for p in self.products():
            groups.setdefault(p.category_path[0] if p.category_path else "Otros", []).append(p)
        return groups

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        groups = self._categories()
        names = list(groups)
        if path == "/api/v1/common-aggregator/menu-data":
            menu = [
                {"id": f"L{n + 1}", "name": name, "url": f"/{slug(name)}/c/L{n + 1}"}
                for n, name in enumerate(names)
            ]
            return Route("listing", lambda fault: as_json({"categories": menu}))
        if match := re.fullmatch(r"/api/v1/plp-back/reduced/[^/]+/c/L(\d+)", path):
            index = int(match[1]) - 1
            if not 0 <= index < len(names):
                return None
            rows = groups[names[index]]
            page = max(1, int(query.get("page", "1")))
            chunk = rows[(page - 1) * PAGE : page * PAGE]
            body = {
                "plp_items": [
                    {"sku_id": p.chain_product_id, "display_name": p.name} for p in chunk
                ],
                "pagination": {"current_page": page, "total_pages": max(1, -(-len(rows) // PAGE))},
            }
            return Route("listing", lambda fault: as_json(body))
        if (match := re.fullmatch(r"/api/v1/pdp-back/([^/]+)", path)) and (p := self.one(match[1])):
            return Route(
                p.chain_product_id,
                lambda fault: as_json(
                    mutate(
                        {"product": self.render(p)},
                        fault,
                        ["product", "prices", "price"],
                        "product.prices",
                    )
                ),
            )
        return None

    def render(self, p: Product) -> dict[str, Any]:
        top = p.category_path[0] if p.category_path else "Otros"
        nutrition = p.nutrition
        values = []
        if nutrition is not None:
            for title, value in (
                ("Grasas", nutrition.fat_g),
                ("Hidratos de Carbono", nutrition.carbohydrates_g),
                ("Proteínas", nutrition.protein_g),
                ("Sal", nutrition.salt_g),
            ):
                if value is not None:
                    values.append({"title": title, "value": value, "measure_unit": "g"})
        return {
            "sku_id": p.chain_product_id,
            "primary_info": {"title": p.name},
            "breadcrumb": [{"link": f"/{slug(top)}/c/L1", "title": top}],
            "prices": {
                "currency": "EUR",
                "price": float(p.price),
                "price_per_unit": float(p.reference_price) if p.reference_price else None,
                "measure_unit": self._units.get(str(p.reference_unit), ""),
                "strikethrough_price": float(p.price),
            },
            "ingredients": {"text": f"<p>{p.ingredients}</p>"} if p.ingredients else {},
            "allergens": {"text": declaration(p.allergens)} if not p.allergens.is_unknown else {},
            "nutritional_info": {
                "nutritional_values": {
                    "energy_value": nutrition.energy_kcal if nutrition else None,
                    "values": values,
                }
            },
        }
