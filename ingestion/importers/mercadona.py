"""Readers for the Mercadona files: catalogue CSV, daily price history CSV, food-details JSONL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from core.domain import Nutrition, PriceObservation, Product, make_product_id
from ingestion.allergens import parse_allergens
from ingestion.importers.base import (
    ReadContext,
    guarded,
    read_csv_rows,
    read_jsonl_objects,
)
from ingestion.parsing import (
    clean_text,
    parse_day,
    parse_float,
    parse_optional_price,
    parse_price,
    parse_unit,
)
from ingestion.records import DatedPrice, Record, Rejection, RowRejected

CHAIN = "mercadona"


def _category_path(*parts: str | None) -> tuple[str, ...]:
    path: list[str] = []
    for part in parts:
        text = clean_text(part)
        if text and (not path or path[-1] != text):
            path.append(text)
    return tuple(path)


def _require(value: str | None, field: str) -> str:
    text = clean_text(value)
    if not text:
        raise RowRejected(f"missing_{field}", f"The {field} is empty.", field)
    return text


class MercadonaCsvReader:
    format: ClassVar[str] = "mercadona-csv"
    description: ClassVar[str] = (
        "Mercadona catalogue CSV (id, nombre, categoria_L1..L3, precio_con_descuento, bulk_price)"
    )
    COLUMNS: ClassVar[set[str]] = {
        "id",
        "nombre",
        "categoria_L1",
        "precio_con_descuento",
        "bulk_price",
        "size_format",
    }

    def read(self, path: Path, context: ReadContext) -> Iterator[Record]:
        default_date = context.date_for(path)
        for line, row in read_csv_rows(path, self.COLUMNS, self.format):
            yield guarded(
                CHAIN,
                f"{path.name}:{line}",
                row,
                partial(self._product, row, context, default_date),
            )

    @staticmethod
    def _product(row: dict[str, str], context: ReadContext, default_date: datetime) -> Product:
        observed_at = context.observed_at or (
            parse_day(row["last_updated"]) if row.get("last_updated") else default_date
        )
        unit = parse_unit(row.get("size_format"))
        return Product(
            chain=CHAIN,
            chain_product_id=_require(row["id"], "id"),
            name=_require(row["nombre"], "name"),
            price=parse_price(row["precio_con_descuento"], "precio_con_descuento"),
            regular_price=parse_optional_price(
                row.get("precio_sin_descuento"), "precio_sin_descuento"
            ),
            reference_price=parse_optional_price(row.get("bulk_price"), "bulk_price"),
            reference_unit=unit,
            unit_size=parse_float(row.get("unit_size")),
            size_unit=unit,
            packaging=clean_text(row.get("packaging")),
            category_path=_category_path(
                row.get("categoria_L1"), row.get("categoria_L2"), row.get("categoria_L3")
            ),
            url=clean_text(row.get("url")),
            observed_at=observed_at,
        )


class MercadonaHistoryReader:
    format: ClassVar[str] = "mercadona-history"
    description: ClassVar[str] = (
        "Mercadona daily price history CSV (producto_id, fecha_actualizacion, precio_con_descuento)"
    )
    COLUMNS: ClassVar[set[str]] = {"producto_id", "fecha_actualizacion", "precio_con_descuento"}

    def read(self, path: Path, context: ReadContext) -> Iterator[Record]:
        for line, row in read_csv_rows(path, self.COLUMNS, self.format):
            yield guarded(
                CHAIN,
                f"{path.name}:{line}",
                row,
                partial(self._price, row),
            )

    @staticmethod
    def _price(row: dict[str, str]) -> DatedPrice:
        return DatedPrice(
            CHAIN,
            PriceObservation(
                product_id=make_product_id(CHAIN, _require(row["producto_id"], "id")),
                price=parse_price(row["precio_con_descuento"], "precio_con_descuento"),
                observed_at=parse_day(row["fecha_actualizacion"]),
            ),
        )


class MercadonaFoodReader:
    format: ClassVar[str] = "mercadona-food-jsonl"
    description: ClassVar[str] = (
        "Mercadona food details JSONL (ean, ingredients, allergens, nutrition per 100 g)"
    )

    def read(self, path: Path, context: ReadContext) -> Iterator[Record]:
        observed_at = context.date_for(path)
        for line, obj in read_jsonl_objects(path):
            if isinstance(obj, Rejection):
                yield obj
                continue
            yield guarded(
                CHAIN,
                f"{path.name}:{line}",
                obj,
                partial(self._product, obj, observed_at),
            )

    @staticmethod
    def _product(obj: dict[str, Any], observed_at: datetime) -> Product:
        unit = parse_unit(obj.get("reference_unit") or obj.get("size_format"))
        nutrition = obj.get("nutrition_per_100g_llm_extracted") or obj.get("nutrition")
        return Product(
            chain=CHAIN,
            chain_product_id=_require(obj.get("id"), "id"),
            name=_require(obj.get("name"), "name"),
            brand=clean_text(obj.get("brand")),
            ean=clean_text(obj.get("ean")),
            price=parse_price(obj.get("price_eur"), "price_eur"),
            reference_price=parse_optional_price(
                obj.get("reference_price_eur"), "reference_price_eur"
            ),
            reference_unit=unit,
            unit_size=parse_float(obj.get("unit_size")),
            size_unit=parse_unit(obj.get("size_format")),
            packaging=clean_text(obj.get("packaging")),
            category_path=_category_path(*(obj.get("category_path") or [])),
            ingredients=clean_text(obj.get("ingredients_text")),
            allergens=parse_allergens(
                obj.get("allergens_text"),
                claims=(obj.get("mandatory_mentions"), obj.get("ingredients_text")),
            ),
            nutrition=Nutrition.model_validate(nutrition) if nutrition else None,
            storage_instructions=clean_text(obj.get("storage_instructions")),
            usage_instructions=clean_text(obj.get("usage_instructions")),
            origin=clean_text(obj.get("origin")),
            url=clean_text(obj.get("url")),
            observed_at=observed_at,
        )
