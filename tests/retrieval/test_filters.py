"""Hard filters: explicit constraints are never broken; unknown allergen data is never 'safe'."""

from __future__ import annotations

from decimal import Decimal

from core.allergens import Allergen, AllergenInfo
from retrieval.filters import check
from retrieval.query import understand
from storage.sqlite.store import SqliteProductStore
from tests.factories import make_product

NO_GLUTEN = understand("galletas sin gluten")


def test_contains_and_traces_are_excluded_free_is_kept_unknown_is_flagged() -> None:
    contains = make_product(
        allergens=AllergenInfo(contains=frozenset({Allergen.GLUTEN}), declared=True)
    )
    traces = make_product(
        allergens=AllergenInfo(traces=frozenset({Allergen.GLUTEN}), declared=True)
    )
    free = make_product(allergens=AllergenInfo(free=frozenset({Allergen.GLUTEN}), declared=True))
    silent_label = make_product(allergens=AllergenInfo(declared=True))
    no_data = make_product(allergens=AllergenInfo())

    assert not check(contains, NO_GLUTEN).ok
    assert check(traces, NO_GLUTEN).rejected_because == "puede contener trazas de gluten"
    assert check(free, NO_GLUTEN).certain
    for product in (silent_label, no_data):
        verdict = check(product, NO_GLUTEN)
        assert verdict.ok and not verdict.certain and "no se garantiza" in verdict.flags[0]


def test_a_name_that_claims_gluten_free_counts_as_the_label() -> None:
    named = make_product(name="Pan de molde sin gluten", allergens=AllergenInfo())
    assert check(named, NO_GLUTEN).certain


def test_price_and_chain_limits() -> None:
    query = understand("aceite en Dia por menos de 9 €")
    assert check(make_product(chain="dia", price=Decimal("8.99")), query).ok
    assert not check(make_product(chain="dia", price=Decimal("9.01")), query).ok
    assert not check(make_product(chain="consum", price=Decimal("5")), query).ok


def test_lactose_free_keeps_lactose_free_milk_but_not_plain_milk() -> None:
    query = understand("leche sin lactosa")
    milk = AllergenInfo(contains=frozenset({Allergen.MILK}), declared=True)
    assert check(
        make_product(name="Leche semidesnatada sin lactosa", allergens=milk), query
    ).certain
    assert not check(make_product(name="Leche entera", allergens=milk), query).ok


async def test_vectorised_filters_agree_with_the_per_product_check(
    sample_store: SqliteProductStore,
) -> None:
    from retrieval.filters import FilterColumns

    products = await sample_store.list_products(limit=1000)
    columns = FilterColumns(products)
    for question in (
        "galletas sin gluten por menos de 2 €",
        "leche sin lactosa en Dia",
        "pan apto para celíacos entre 1 y 3 euros",
        "crema sin frutos secos ni leche",
        "cerveza en Mercadona o Consum",
        "mayonesa sin huevo ni mostaza",
    ):
        query = understand(question)
        expected = [check(p, query).ok for p in products]
        assert list(columns.allowed(query)) == expected, question
        assert 0 < sum(expected) < len(products)
