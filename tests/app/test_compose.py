"""Answers composed from the data (shown whenever the model's answer cannot be trusted) must be
true whatever order retrieval gave, and must not leave out a product the shopper asked for."""

from __future__ import annotations

from decimal import Decimal

from app.compose import compose
from app.facts import ProductFacts
from app.grounding import Grounder
from retrieval.query import understand
from tests.factories import make_product


def _biscuits(chain: str, price: str, per_kg: str | None) -> ProductFacts:
    product = make_product(
        chain=chain,
        chain_product_id=f"g-{chain}",
        name=f"Galletas María sin gluten {chain.title()}",
        brand=chain.title(),
        price=Decimal(price),
        reference_price=Decimal(per_kg) if per_kg else None,
        reference_unit="kg" if per_kg else None,
        unit_size=0.2,
        size_unit="kg",
        ean=None,
    )
    return ProductFacts(0, product)


def _numbered(*facts: ProductFacts) -> list[ProductFacts]:
    return [ProductFacts(n, f.product) for n, f in enumerate(facts, 1)]


# The demo's context for "galletas sin gluten por menos de 2 €": the cheapest came fifth.
DEMO = _numbered(
    _biscuits("carrefour", "1.85", "9.25"),
    _biscuits("alcampo", "1.75", "8.75"),
    _biscuits("mercadona", "1.85", "9.25"),
    _biscuits("consum", "1.85", "9.25"),
    _biscuits("dia", "1.65", "8.25"),
)


def test_a_budget_question_lists_every_product_found_cheapest_first() -> None:
    answer = compose(understand("¿Qué galletas sin gluten hay por menos de 2 €?"), DEMO)
    listed = answer.split(" Alérgenos")[0]
    assert listed.startswith("Tengo Galletas María sin gluten Dia [5] en Dia, 200 g, 1,65 €")
    for ref in range(1, 6):
        assert f"[{ref}]" in listed


def test_the_cheapest_is_named_whatever_order_retrieval_gave() -> None:
    answer = compose(understand("¿Dónde están más baratas las galletas sin gluten?"), DEMO)
    assert answer.startswith("El más barato por kilo es Galletas María sin gluten Dia [5]")
    assert answer.index("[2]") < answer.index("[1]")  # then 8,75 before 9,25 €/kg
    assert all(Grounder(DEMO).check(s).ok for s in answer.split(". ") if "más barato" in s)


def test_a_product_without_a_unit_does_not_stop_the_comparison() -> None:
    odd = make_product(chain="dia", chain_product_id="x", name="Galletas sueltas Dia",
                       brand="Dia", price=Decimal("0.99"), reference_price=Decimal("0.99"),
                       reference_unit=None)  # fmt: skip
    facts = _numbered(ProductFacts(0, odd), *DEMO[:2])
    answer = compose(understand("¿Dónde están más baratas las galletas sin gluten?"), facts)
    assert answer.startswith("El más barato por kilo es Galletas María sin gluten Alcampo [3]")
    assert "Galletas sueltas Dia [1] no es comparable" in answer


def test_no_cheapest_claim_without_a_price_per_kilo() -> None:
    facts = _numbered(_biscuits("dia", "1.65", None), _biscuits("consum", "1.85", None))
    answer = compose(understand("¿Dónde son más baratas las galletas sin gluten?"), facts)
    assert "no puedo decir cuál sale más barato" in answer
    assert "El más barato" not in answer
    assert "[1]" in answer and "[2]" in answer
