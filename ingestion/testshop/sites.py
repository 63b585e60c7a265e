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
from typing import Any, ClassVar

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


def _json(data: Any) -> Body:
    return JSON, json.dumps(data, ensure_ascii=False)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _declaration(info: AllergenInfo, tag: str = "strong") -> str | None:
    if info.is_unknown:
        return None
    parts = [f"Contiene <{tag}>{ALLERGEN_NAMES_ES[a]}</{tag}>." for a in sorted(info.contains)]
    parts += [f"Puede contener <{tag}>{ALLERGEN_NAMES_ES[a]}</{tag}>." for a in sorted(info.traces)]
    parts += [f"Libre de {ALLERGEN_NAMES_ES[a]}." for a in sorted(info.free)]
    return " ".join(parts) or "x99."


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _mutate(
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
                "listing", lambda fault: _json({"count": len(results), "results": results})
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
            return Route("listing", lambda fault: _json(listing))
        if (match := re.fullmatch(r"/api/products/([^/]+)/", path)) and (p := self.one(match[1])):
            return Route(
                p.chain_product_id,
                lambda fault: _json(
                    _mutate(
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
            "slug": _slug(p.name),
            "brand": p.brand,
            "display_name": p.name,
            "packaging": p.packaging,
            "origin": p.origin,
            "share_url": f"https://tienda.mercadona.es/product/{p.chain_product_id}/{_slug(p.name)}",
            "categories": nested,
            "details": {
                "description": p.name,
                "storage_instructions": p.storage_instructions,
                "usage_instructions": p.usage_instructions,
                "mandatory_mentions": "",
            },
            "price_instructions": {
                "unit_price": _money(p.price),
                "bulk_price": _money(p.reference_price),
                "reference_format": p.reference_unit,
                "unit_size": p.unit_size,
                "size_format": p.size_unit,
                "previous_unit_price": None,
                "iva": 10,
            },
            "nutrition_information": {
                "allergens": _declaration(p.allergens),
                "ingredients": p.ingredients,
            },
        }


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
                {"id": f"L{n + 1}", "name": name, "url": f"/{_slug(name)}/c/L{n + 1}"}
                for n, name in enumerate(names)
            ]
            return Route("listing", lambda fault: _json({"categories": menu}))
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
            return Route("listing", lambda fault: _json(body))
        if (match := re.fullmatch(r"/api/v1/pdp-back/([^/]+)", path)) and (p := self.one(match[1])):
            return Route(
                p.chain_product_id,
                lambda fault: _json(
                    _mutate(
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
            "breadcrumb": [{"link": f"/{_slug(top)}/c/L1", "title": top}],
            "prices": {
                "currency": "EUR",
                "price": float(p.price),
                "price_per_unit": float(p.reference_price) if p.reference_price else None,
                "measure_unit": self._units.get(str(p.reference_unit), ""),
                "strikethrough_price": float(p.price),
            },
            "ingredients": {"text": f"<p>{p.ingredients}</p>"} if p.ingredients else {},
            "allergens": {"text": _declaration(p.allergens)} if not p.allergens.is_unknown else {},
            "nutritional_info": {
                "nutritional_values": {
                    "energy_value": nutrition.energy_kcal if nutrition else None,
                    "values": values,
                }
            },
        }


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
                return _json({"message": "Servicio no disponible"})
            items = []
            for p in chunk:  # the listing carries whole products: their faults apply here
                item = self.render(p)
                kind = self.state.fault_for(self.chain, p.chain_product_id)
                if kind in CONTENT_FAULTS:
                    item = _mutate(item, kind, ["priceData", "prices"], "priceData")
                items.append(item)
            return _json(
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
                "url": f"https://tienda.consum.es/es/p/{_slug(p.name)}/{p.chain_product_id}",
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


CONTENT_FAULTS = {"missing_price", "renamed_field", "no_product_block"}


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
            return Route("listing", lambda fault: _json(body))
        if path == "/api/webproductpagews/v5/products/bop":
            product = self.one(query.get("retailerProductId", ""))
            if product is None:
                return None
            p = product
            return Route(
                p.chain_product_id,
                lambda fault: _json(
                    _mutate(self.render(p), fault, ["product", "price"], "product.price")
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
            fields.append({"title": "allergens", "content": _declaration(p.allergens)})
        return {
            "product": {
                "retailerProductId": p.chain_product_id,
                "name": p.name,
                "brand": p.brand,
                "packSizeDescription": size,
                "price": {"amount": _money(p.price), "currency": "EUR"},
                "unitPrice": {
                    "price": {"amount": _money(p.reference_price), "currency": "EUR"},
                    "unitName": self._units.get(str(p.reference_unit), "EACH"),
                },
                "categoryPath": list(p.category_path),
            },
            "bopData": {"fields": fields},
        }


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
                state = _mutate(
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
        return f"/supermercado/{_slug(p.name)}/R-{p.chain_product_id}/p"

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


SITES: tuple[type[Site], ...] = (MercadonaSite, DiaSite, ConsumSite, AlcampoSite, CarrefourSite)
