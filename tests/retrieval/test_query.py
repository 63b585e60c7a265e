"""Spanish shopping questions are understood into constraints and search words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.allergens import Allergen
from retrieval.query import Intent, understand


@pytest.mark.parametrize(
    ("question", "text", "chains", "max_price", "exclude", "intents"),
    [
        (
            "¿Dónde está más barato el aceite de oliva virgen extra?",
            "aceite oliva virgen extra",
            set(),
            None,
            set(),
            {Intent.CHEAPEST, Intent.COMPARE},
        ),
        (
            "¿Qué galletas sin gluten hay por menos de 2 €?",
            "galletas",
            set(),
            "2",
            {Allergen.GLUTEN},
            {Intent.FIND},
        ),
        ("¿Ha subido la leche este mes?", "leche", set(), None, set(), {Intent.HISTORY}),
        (
            "chocolate para alérgicos a la leche hasta 2,50€",
            "chocolate",
            set(),
            "2.50",
            {Allergen.MILK},
            {Intent.FIND},
        ),
        (
            "galletas sin frutos secos ni huevo en el Carrefour",
            "galletas",
            {"carrefour"},
            None,
            {Allergen.TREE_NUTS, Allergen.PEANUTS, Allergen.EGGS},
            {Intent.FIND},
        ),
        (
            "pan apto para celíacos del Mercadona",
            "pan",
            {"mercadona"},
            None,
            {Allergen.GLUTEN},
            {Intent.FIND},
        ),
        (
            "compara el atún en consum y alcampo",
            "atun",
            {"consum", "alcampo"},
            None,
            set(),
            {Intent.COMPARE},
        ),
        ("cerveza barata en DIA", "cerveza", {"dia"}, None, set(), {Intent.CHEAPEST}),
    ],
)
def test_questions_become_constraints(
    question: str,
    text: str,
    chains: set[str],
    max_price: str | None,
    exclude: set[Allergen],
    intents: set[Intent],
) -> None:
    query = understand(question)
    assert query.text == text
    assert set(query.chains) == chains
    assert query.max_price == (Decimal(max_price) if max_price else None)
    assert set(query.exclude) == exclude
    assert set(query.intents) == intents


def test_the_day_is_not_the_chain_dia() -> None:
    assert understand("el pan del día en Mercadona").chains == {"mercadona"}
    assert understand("leche en dia").chains == {"dia"}


def test_price_ranges_and_lactose() -> None:
    query = understand("queso entre 3 y 6 euros sin lactosa")
    assert (query.min_price, query.max_price) == (Decimal(3), Decimal(6))
    assert query.lactose_free and not query.exclude and query.text == "queso"
