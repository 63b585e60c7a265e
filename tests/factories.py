"""Builders for domain objects in tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.allergens import Allergen, AllergenInfo
from core.domain import Nutrition, PriceObservation, Product, ReferenceUnit


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_product(**overrides: Any) -> Product:
    fields: dict[str, Any] = {
        "chain": "mercadona",
        "chain_product_id": "4241",
        "name": "Aceite de oliva virgen extra Hacendado",
        "brand": "Hacendado",
        "ean": "8480000042411",
        "category_path": ("Aceite, especias y salsas", "Aceite, vinagre y sal", "Aceite de oliva"),
        "price": Decimal("8.95"),
        "reference_price": Decimal("8.95"),
        "reference_unit": ReferenceUnit.L,
        "unit_size": 1.0,
        "size_unit": ReferenceUnit.L,
        "ingredients": "Aceite de oliva virgen extra.",
        "allergens": AllergenInfo(declared=True, free=frozenset({Allergen.GLUTEN})),
        "nutrition": Nutrition(energy_kcal=900, fat_g=100),
        "url": "https://example.org/p/4241",
        "observed_at": day("2026-11-01"),
    }
    fields.update(overrides)
    return Product(**fields)


def make_price(product_id: str, price: str, at: str) -> PriceObservation:
    return PriceObservation(product_id=product_id, price=Decimal(price), observed_at=day(at))
