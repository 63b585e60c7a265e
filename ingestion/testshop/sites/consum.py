"""The test shop's Consum site (same paths and payloads as the real one)."""

from __future__ import annotations

from typing import Any

from core.domain import Product
from ingestion.testshop.sites.common import (
    CONTENT_FAULTS,
    Body,
    Route,
    Site,
    as_json,
    mutate,
    slug,
)


class ConsumSite(Site):
    chain = "consum"

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        if path != "/api/rest/V1.0/catalog/product":
            return None
        rows = self.products()
        offset, limit = int(query.get("offset", "0")), int(query.get("limit", "20"))
        chunk = rows[offset : offset + limit]

        def build(fault: str | None) -> Body:
            if fault == "no_product_block":
                return as_json({"message": "Servicio no disponible"})
            items = []
            for p in chunk:  # the listing carries whole products: their faults apply here
                item = self.render(p)
                kind = self.state.fault_for(self.chain, p.chain_product_id)
                if kind in CONTENT_FAULTS:
                    item = mutate(item, kind, ["priceData", "prices"], "priceData")
                items.append(item)
            return as_json(
                {"totalCount": len(rows), "hasMore": offset + limit < len(rows), "products": items}
            )

        return Route("listing", build)

    @staticmethod
    def render(p: Product) -> dict[str, Any]:
        unit = {"l": "1 L", "kg": "1 Kg", "ud": "1 Ud"}.get(str(p.reference_unit), "")
        return {
            "id": int(p.chain_product_id) if p.chain_product_id.isdigit() else 0,
            "code": p.chain_product_id,
            "ean": p.ean,
            "type": "product",
            "productData": {
                "name": p.name,
                "brand": {"id": p.brand, "name": p.brand},
                "url": f"https://tienda.consum.es/es/p/{slug(p.name)}/{p.chain_product_id}",
                "description": f"{p.name} {p.unit_size} {p.size_unit}",
            },
            "priceData": {
                "prices": [
                    {
                        "id": "PRICE",
                        "value": {
                            "centAmount": float(p.price),
                            "centUnitAmount": float(p.reference_price)
                            if p.reference_price
                            else None,
                        },
                    }
                ],
                "unitPriceUnitType": unit,
            },
            "categories": [
                {"id": 1, "name": p.category_path[-1] if p.category_path else "Otros", "type": 0}
            ],
        }
