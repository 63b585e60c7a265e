"""Parsing of prices, sizes, dates and allergen statements as real sources write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.allergens import Allergen, AllergenStatus
from core.domain import ReferenceUnit
from ingestion.allergens import parse_allergens
from ingestion.parsing import (
    chain_slug,
    date_from_filename,
    parse_optional_price,
    parse_price,
    parse_size,
)
from ingestion.records import RowRejected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,15 €", "3.15"),
        ("3,45\u00a0€", "3.45"),
        ("2.99 €", "2.99"),
        ("1.234,50 €", "1234.50"),
        (8.95, "8.95"),
        ("12", "12"),
    ],
)
def test_prices_parse_as_the_sources_write_them(text: str | float, expected: str) -> None:
    assert parse_price(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Precio no disponible", "price_unavailable"),
        ("", "missing_price"),
        (None, "missing_price"),
        ("0,00 €", "non_positive_price"),
        ("-1,00 €", "non_positive_price"),
        ("gratis", "unparseable_price"),
    ],
)
def test_unusable_prices_are_rejected_with_a_reason(text: str | None, reason: str) -> None:
    with pytest.raises(RowRejected) as caught:
        parse_price(text)
    assert caught.value.reason == reason


def test_a_zero_reference_price_means_not_given() -> None:
    assert parse_optional_price("0.0", "bulk_price") is None
    assert parse_optional_price("", "bulk_price") is None


@pytest.mark.parametrize(
    ("name", "size", "unit"),
    [
        ("Bollería Weikis bolsa 240 g", 0.24, ReferenceUnit.KG),
        ("Empanada carne mendoza 600gr", 0.6, ReferenceUnit.KG),
        ("Chicles trident bote 82,6g", 0.0826, ReferenceUnit.KG),
        ("Leche Asturiana brik 6 x 1 l", 6.0, ReferenceUnit.L),
        ("Vino tinto botella 75 cl", 0.75, ReferenceUnit.L),
        ("Aceite 1,5 litros", 1.5, ReferenceUnit.L),
    ],
)
def test_package_sizes_come_from_product_names(name: str, size: float, unit: ReferenceUnit) -> None:
    parsed = parse_size(name)
    assert parsed is not None
    assert parsed[0] == pytest.approx(size) and parsed[1] is unit


def test_names_without_a_size_give_none() -> None:
    assert parse_size("Detergente Líquido Prendas Delicadas") is None
    assert parse_size("30% Protein Bar Brownie 3 uds") is None


def test_dates_and_chain_names() -> None:
    stamp = date_from_filename("consum_dia_supermercadosmas_2024-04.csv")
    assert stamp is not None and (stamp.year, stamp.month, stamp.day) == (2024, 4, 1)
    assert date_from_filename("catalogue.csv") is None
    assert chain_slug("Supermercados Más") == "supermercados-mas"


def test_allergen_statement_with_contains_traces_and_free() -> None:
    info = parse_allergens(
        "Contiene trigo y productos derivados. Puede contener soja y mostaza. "
        "Libre de huevos y productos a base de huevo."
    )
    assert info.status(Allergen.GLUTEN) is AllergenStatus.CONTAINS
    assert info.status(Allergen.SOY) is AllergenStatus.TRACES
    assert info.status(Allergen.MUSTARD) is AllergenStatus.TRACES
    assert info.status(Allergen.EGGS) is AllergenStatus.FREE
    assert info.status(Allergen.FISH) is AllergenStatus.UNKNOWN  # not mentioned: not "free"
    assert info.declared


def test_no_declaration_is_unknown_never_free() -> None:
    info = parse_allergens(None)
    assert info.is_unknown
    assert all(info.status(a) is AllergenStatus.UNKNOWN for a in Allergen)


def test_x99_declares_no_allergens_but_does_not_make_them_free() -> None:
    info = parse_allergens("x99.")
    assert info.declared and not info.contains and not info.traces
    assert info.status(Allergen.GLUTEN) is AllergenStatus.UNKNOWN


def test_sin_lactosa_is_not_milk_free_but_sin_gluten_is_gluten_free() -> None:
    info = parse_allergens("x99.", claims=("Sin gluten. Sin lactosa.",))
    assert info.status(Allergen.GLUTEN) is AllergenStatus.FREE
    assert info.status(Allergen.MILK) is AllergenStatus.UNKNOWN


def test_contains_wins_over_a_contradictory_free_claim() -> None:
    info = parse_allergens("Contiene cereales que contengan gluten.", claims=("Sin gluten",))
    assert info.status(Allergen.GLUTEN) is AllergenStatus.CONTAINS


def test_a_claim_never_spans_two_statements() -> None:
    info = parse_allergens(None, claims=("Sin gluten, contiene leche.",))
    assert info.status(Allergen.GLUTEN) is AllergenStatus.FREE
    assert info.status(Allergen.MILK) is AllergenStatus.UNKNOWN
