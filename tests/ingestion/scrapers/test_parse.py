"""Each adapter's pure parse, on the recorded real responses and on the test shop's payloads."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core.allergens import Allergen, AllergenStatus
from core.domain import ReferenceUnit
from ingestion.scrapers.alcampo import AlcampoScraper
from ingestion.scrapers.base import Scraper, SiteChanged
from ingestion.scrapers.carrefour import CarrefourScraper
from ingestion.scrapers.consum import ConsumScraper
from ingestion.scrapers.dia import DiaScraper
from ingestion.scrapers.mercadona import MercadonaScraper
from ingestion.scrapers.registry import discover_scrapers
from ingestion.testshop import ShopState
from ingestion.testshop.sites import SITES
from tests.factories import day

NOW = day("2026-11-21")


def _recorded(shared_data: Path, name: str) -> object:
    text = (shared_data / "pages" / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text


def test_every_chain_module_is_discovered() -> None:
    assert list(discover_scrapers()) == ["alcampo", "carrefour", "consum", "dia", "mercadona"]


def test_mercadona_recorded_product(shared_data: Path) -> None:
    [p] = MercadonaScraper().parse(_recorded(shared_data, "mercadona_product_api.json"), NOW)
    assert (p.id, p.ean, p.brand) == ("mercadona:23365", "8480000233653", "Hacendado")
    assert (p.price, p.regular_price, p.reference_price) == (
        Decimal("2.40"),
        Decimal("2.50"),
        Decimal("12.00"),
    )
    assert (p.reference_unit, p.unit_size) == (ReferenceUnit.KG, 0.2)
    assert p.category_path == ("Aperitivos", "Frutos secos y fruta desecada", "Frutos secos")
    # Cashew is emphasised in the ingredients; peanut only "puede contener".
    assert p.allergens.status(Allergen.TREE_NUTS) is AllergenStatus.CONTAINS
    assert p.allergens.status(Allergen.PEANUTS) is AllergenStatus.TRACES
    assert p.allergens.status(Allergen.GLUTEN) is AllergenStatus.UNKNOWN


def test_dia_recorded_product(shared_data: Path) -> None:
    [p] = DiaScraper().parse(_recorded(shared_data, "dia_product_api.json"), NOW)
    assert (p.id, p.price, p.reference_price, p.reference_unit) == (
        "dia:504P6",
        Decimal("5.04"),
        Decimal("0.84"),
        ReferenceUnit.L,
    )
    assert p.unit_size == 6.0 and p.category_path == ("Huevos, leche y mantequilla", "Leche")
    assert p.allergens.status(Allergen.MILK) is AllergenStatus.CONTAINS
    assert p.nutrition is not None and p.nutrition.energy_kcal == 46 and p.nutrition.salt_g == 0.1
    assert p.url == "https://www.dia.es/huevos-leche-y-mantequilla/leche/p/504P6"


def test_consum_recorded_product(shared_data: Path) -> None:
    [p] = ConsumScraper().parse(_recorded(shared_data, "consum_product_api.json"), NOW)
    assert (p.id, p.ean, p.brand, p.price) == (
        "consum:7080604",
        "8414807514219",
        "CONSUM",
        Decimal("0.84"),
    )
    assert (p.reference_price, p.reference_unit, p.unit_size) == (
        Decimal("0.84"),
        ReferenceUnit.L,
        1.0,
    )
    assert p.allergens.is_unknown  # the object says nothing usable about allergens


def test_alcampo_recorded_product(shared_data: Path) -> None:
    [p] = AlcampoScraper().parse(_recorded(shared_data, "alcampo_product_api.json"), NOW)
    assert (p.id, p.price, p.reference_price, p.unit_size) == (
        "alcampo:54180",
        Decimal("5.28"),
        Decimal("0.88"),
        6.0,
    )
    assert p.category_path[-1] == "Leche semidesnatada"
    assert p.ingredients == "LECHE SEMIDESNATADA DE VACA. ORIGEN DE LA LECHE: ESPAÑA."
    assert p.nutrition is not None and p.nutrition.protein_g == 3.2


def test_carrefour_recorded_page(shared_data: Path) -> None:
    [p] = CarrefourScraper().parse(_recorded(shared_data, "carrefour_product_page.html"), NOW)
    assert (p.id, p.ean, p.brand, p.price) == (
        "carrefour:521007071",
        "8431876011937",
        "CARREFOUR",
        Decimal("0.84"),
    )
    assert p.category_path == ("La Despensa", "Lácteos", "Leche")
    assert p.allergens.status(Allergen.MILK) is AllergenStatus.CONTAINS
    assert p.url == (
        "https://www.carrefour.es/supermercado/leche-semidesnatada-carrefour-brik-1-l/R-521007071/p"
    )


@pytest.mark.parametrize("site_class", SITES, ids=lambda s: s.chain)
def test_what_the_test_shop_serves_parses_back_to_the_same_facts(site_class: type) -> None:
    state = ShopState(products_per_chain=8)
    site = site_class(state)
    scraper = discover_scrapers()[site.chain]()
    for product in site.products():
        if site.chain == "consum":
            payload = site.render(product)
        elif site.chain == "carrefour":
            payload = site.route(site.path_of(product), {}).build(None)[1]
        elif site.chain == "dia":
            payload = {"product": site.render(product)}
        else:
            payload = site.render(product)
        [parsed] = scraper.parse(payload, NOW)
        assert (parsed.id, parsed.name, parsed.price) == (product.id, product.name, product.price)
        assert parsed.reference_price == product.reference_price
        if site.chain != "consum":  # Consum's catalogue objects carry no allergen data
            assert parsed.allergens.contains == product.allergens.contains


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"id": "1", "display_name": "x"}, "price_instructions"),
        ({"id": "1", "price_instructions": {"unit_price": None}}, "unit_price"),
        ({"id": "1", "price_instructions": {"unit_price": "gratis"}}, "unit_price"),
    ],
)
def test_a_changed_payload_names_the_missing_field(payload: object, field: str) -> None:
    with pytest.raises(SiteChanged) as caught:
        MercadonaScraper().parse(payload, NOW)
    assert field in (caught.value.field or "") and caught.value.excerpt


def test_a_page_without_its_state_is_a_site_change() -> None:
    with pytest.raises(SiteChanged) as caught:
        CarrefourScraper().parse("<html><body>Mantenimiento</body></html>", NOW)
    assert caught.value.reason == "no_product_block"


@pytest.mark.parametrize(
    ("scraper", "payload", "field"),
    [
        (DiaScraper, {"product": {"prices": {"price": 1.5}, "primary_info": {"title": "  "}}},
         "primary_info.title"),
        (AlcampoScraper, {"product": {"name": "\n"}}, "name"),
    ],
)  # fmt: skip
def test_a_blank_name_is_a_site_change_not_a_crash(
    scraper: type[Scraper], payload: object, field: str
) -> None:
    """A blank name used to trip an `assert` and end the whole run; now it is one scrape error
    for that product, recorded with its field, and the run goes on."""
    with pytest.raises(SiteChanged) as caught:
        scraper().parse(payload, NOW)
    assert caught.value.reason == "missing_field" and caught.value.field == field
