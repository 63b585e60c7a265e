"""The test shop's Alcampo site (same paths and payloads as the real one)."""

from __future__ import annotations

from typing import Any, ClassVar

from core.domain import Product
from ingestion.testshop.sites.common import (
    Route,
    Site,
    as_json,
    declaration,
    money,
    mutate,
)


class AlcampoSite(Site):
    chain = "alcampo"
    _units: ClassVar[dict[str, str]] = {"l": "PER_LITRE", "kg": "PER_1KG", "ud": "EACH"}

    def route(self, path: str, query: dict[str, str]) -> Route | None:
        if path == "/api/webproductpagews/v6/product-pages":
            rows = self.products()
            offset, limit = int(query.get("offset", "0")), int(query.get("limit", "20"))
            body = {
                "productGroups": [
                    {
                        "products": [
                            {"retailerProductId": p.chain_product_id}
                            for p in rows[offset : offset + limit]
                        ]
                    }
                ],
                "total": len(rows),
            }
            return Route("listing", lambda fault: as_json(body))
        if path == "/api/webproductpagews/v5/products/bop":
            product = self.one(query.get("retailerProductId", ""))
            if product is None:
                return None
            p = product
            return Route(
                p.chain_product_id,
                lambda fault: as_json(
                    mutate(self.render(p), fault, ["product", "price"], "product.price")
                ),
            )
        return None

    def render(self, p: Product) -> dict[str, Any]:
        size = f"{int((p.unit_size or 1) * 1000)}{'ml' if p.size_unit == 'l' else 'g'}"
        fields = [{"title": "brand", "content": p.brand}]
        if p.ingredients:
            fields.append(
                {
                    "title": "ingredients",
                    "content": f"<h4>Ingredientes:</h4>\n<p>{p.ingredients}</p>",
                }
            )
        if not p.allergens.is_unknown:
            fields.append({"title": "allergens", "content": declaration(p.allergens)})
        return {
            "product": {
                "retailerProductId": p.chain_product_id,
                "name": p.name,
                "brand": p.brand,
                "packSizeDescription": size,
                "price": {"amount": money(p.price), "currency": "EUR"},
                "unitPrice": {
                    "price": {"amount": money(p.reference_price), "currency": "EUR"},
                    "unitName": self._units.get(str(p.reference_unit), "EACH"),
                },
                "categoryPath": list(p.category_path),
            },
            "bopData": {"fields": fields},
        }
