"""Answers composed from the data (shown whenever the model's answer cannot be trusted) must be
true whatever order retrieval gave, and must not leave out a product the shopper asked for."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from chat.compose import REFUSAL, compose, disagreement
from chat.facts import ProductFacts
from chat.grounding import Grounder
from retrieval.query import understand
from tests.factories import day, make_price, make_product


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


# Price history: the sample's Consum milk (1,05 € on 25/09, 1,15 € on 16/10, 1,19 € on 06/11,
# 1,25 € on 20/11/2026, last seen 20/11), asked about at several dates under a fixed clock.
def _milk(last_seen: str = "2026-11-20") -> ProductFacts:
    product = make_product(
        chain="consum", chain_product_id="leche", name="Leche entera Consum", brand="Consum",
        price=Decimal("1.25"), reference_price=Decimal("1.25"), observed_at=day(last_seen),
    )  # fmt: skip
    prices = [("1.05", "2026-09-25"), ("1.15", "2026-10-16"), ("1.19", "2026-11-06"),
              ("1.25", "2026-11-20")]  # fmt: skip
    return ProductFacts(1, product, tuple(make_price(product.id, p, at) for p, at in prices))


@pytest.mark.parametrize(
    ("question", "now", "last_seen", "expected"),
    [
        (  # month end: this month's two rises, from the price on the 1st
            "¿Ha subido la leche este mes?",
            "2026-11-30T23:00",
            "2026-11-30",
            "Leche entera Consum [1] en Consum ha subido este mes: de 1,15 € el 01/11/2026 a "
            "1,25 € el 20/11/2026 (2 cambios); precio a 30/11/2026: 1,25 €.",
        ),
        (  # month start, seen today: no change yet this month, and since when it costs that
            "¿Ha subido la leche este mes?",
            "2026-12-01T10:00",
            "2026-12-01",
            "Leche entera Consum [1] en Consum no ha cambiado de precio este mes: cuesta 1,25 € "
            "desde el 20/11/2026; precio a 01/12/2026: 1,25 €.",
        ),
        (  # month start, not seen since November: nothing known about this month
            "¿Ha subido la leche este mes?",
            "2026-12-01T10:00",
            "2026-11-20",
            "Leche entera Consum [1] en Consum: no tengo precios este mes; el último que tengo "
            "es 1,25 €, a 20/11/2026.",
        ),
        (  # a year change: "desde octubre" is last year's October
            "¿Ha subido la leche desde octubre?",
            "2027-01-02T09:00",
            "2027-01-02",
            "Leche entera Consum [1] en Consum ha subido desde octubre: de 1,05 € el 01/10/2026 "
            "a 1,25 € el 20/11/2026 (3 cambios); precio a 02/01/2027: 1,25 €.",
        ),
        (  # a closed period in the past tense
            "¿Subió la leche el mes pasado?",
            "2026-12-03T09:00",
            "2026-12-03",
            "Leche entera Consum [1] en Consum subió el mes pasado: de 1,15 € el 01/11/2026 a "
            "1,25 € el 20/11/2026 (2 cambios); precio a 03/12/2026: 1,25 €.",
        ),
        (  # a named month with one change
            "¿Cuánto costaba la leche en octubre de 2026?",
            "2027-01-02T09:00",
            "2027-01-02",
            "Leche entera Consum [1] en Consum subió en octubre de 2026: de 1,05 € el "
            "01/10/2026 a 1,15 € el 16/10/2026; precio a 02/01/2027: 1,25 €.",
        ),
        (  # the data begins inside the period: said so, from the first price known
            "¿Ha subido la leche desde 2026?",
            "2027-01-02T09:00",
            "2027-01-02",
            "Leche entera Consum [1] en Consum ha subido desde 2026 (no tengo precios "
            "anteriores al 25/09/2026): de 1,05 € el 25/09/2026 a 1,25 € el 20/11/2026 "
            "(3 cambios); precio a 02/01/2027: 1,25 €.",
        ),
        (  # before any price known
            "¿Cuánto costaba la leche en marzo de 2024?",
            "2027-01-02T09:00",
            "2027-01-02",
            "Leche entera Consum [1] en Consum: no tengo precios en marzo de 2024; el primero "
            "que tengo es 1,05 €, del 25/09/2026; precio a 02/01/2027: 1,25 €.",
        ),
        (  # a month still running is told up to now, in the present
            "¿Cuánto costaba la leche en noviembre?",
            "2026-11-25T09:00",
            "2026-11-25",
            "Leche entera Consum [1] en Consum ha subido en noviembre: de 1,15 € el 01/11/2026 "
            "a 1,25 € el 20/11/2026 (2 cambios); precio a 25/11/2026: 1,25 €.",
        ),
        (  # no period: the last change, whatever the date
            "¿Ha subido la leche?",
            "2030-06-15T09:00",
            "2026-11-20",
            "Leche entera Consum [1] en Consum ha subido de 1,19 € a 1,25 € el 20/11/2026; "
            "precio a 20/11/2026: 1,25 €.",
        ),
    ],
)
def test_price_history_answers_the_period_asked_under_a_fixed_clock(
    question: str, now: str, last_seen: str, expected: str
) -> None:
    answer = compose(understand(question), [_milk(last_seen)], day(now))
    assert answer == expected


TREND_QUESTIONS = ("¿Ha subido la leche este mes?", "¿Ha subido la leche desde octubre?",
                   "¿Ha bajado la leche la última semana?", "¿Ha subido la leche?")  # fmt: skip
TREND = re.compile(r"(?:ha subido|subió|ha bajado|bajó)\b.*?de ([\d,]+) €.*? a ([\d,]+) €")


def test_a_composed_trend_never_contradicts_its_own_amounts() -> None:
    checked = 0
    for now in ("2026-11-20", "2026-11-25", "2026-11-30", "2026-12-02", "2027-01-02"):
        for question in TREND_QUESTIONS:
            answer = compose(understand(question), [_milk(now[:10])], day(now))
            moved = TREND.search(answer)
            checked += bool(moved)
            if moved:
                first, last = (Decimal(x.replace(",", ".")) for x in moved.groups())
                assert (last > first) == ("subi" in moved[0]), answer
                assert last != first, answer
    assert checked >= 8  # the pattern reads the answers it is meant to check


def test_an_observation_that_kept_the_package_price_is_no_change() -> None:
    """The store records an observation when the price per kilo changes too: "bajó de 2,80 € a
    2,80 €" came from taking the last two observations for the last change."""
    milk = _milk()
    same = make_price(milk.product.id, "1.25", "2026-11-27")  # only the EUR/l moved
    facts = ProductFacts(1, milk.product, (*milk.history, same))
    answer = compose(understand("¿Ha subido la leche?"), [facts], day("2026-12-01"))
    assert "ha subido de 1,19 € a 1,25 € el 20/11/2026" in answer
    history = facts.history_line()
    assert history is not None and "1,25 € (27/11/2026)" not in history


@pytest.mark.parametrize("greeting", ["Hola", "¿Qué puedes hacer?", "Buenas tardes", "Ayuda"])
def test_a_greeting_gets_what_the_assistant_does_and_three_examples(greeting: str) -> None:
    answer = compose(understand(greeting), [])
    assert answer.startswith("¡Hola! Soy SuperSmart")
    assert answer.count("«¿") == 3 and "[" not in answer and "No encuentro" not in answer


def test_thanks_get_a_short_reply_with_examples() -> None:
    answer = compose(understand("¡Muchas gracias!"), [])
    assert answer.startswith("¡De nada!") and answer.count("«¿") == 3


def test_a_quantity_is_priced_from_the_data() -> None:
    answer = compose(understand("¿Cuánto cuestan 3 paquetes de leche entera Consum?"), [_milk()])
    assert "3 × Leche entera Consum [1] cuestan 3,75 € (1,25 € cada uno, precio a 20/11/2026)." in (
        answer
    )


@pytest.mark.parametrize(
    ("budget", "said"),
    [("10", "Con 10,00 € puedes comprar 8 de Leche entera Consum [1] (1,25 € cada uno, precio a "
             "20/11/2026): 10,00 €, y te sobran 0,00 €."),
     ("4,20", "Con 4,20 € puedes comprar 3 de Leche entera Consum [1] (1,25 € cada uno, precio "
              "a 20/11/2026): 3,75 €, y te sobran 0,45 €."),
     ("1", "Con 1,00 € no llega para Leche entera Consum [1]")],
)  # fmt: skip
def test_a_budget_says_how_many_it_buys(budget: str, said: str) -> None:
    answer = compose(
        understand(f"Tengo {budget} €: ¿cuántas leche entera Consum puedo comprar?"), [_milk()]
    )
    assert said in answer


def test_two_products_compared_name_the_cheaper_per_kilo_and_both_prices() -> None:
    question = ("¿Qué sale más barato por kilo, Galletas María sin gluten Dia o Galletas María "
                "sin gluten Alcampo?")  # fmt: skip
    facts = _numbered(DEMO[4], DEMO[1])
    answer = compose(understand(question), facts)
    assert answer.startswith("El más barato por kilo es Galletas María sin gluten Dia [1]")
    assert "Le sigue Galletas María sin gluten Alcampo [2]" in answer and "8,75 €/kg" in answer


@pytest.mark.parametrize(
    "question", ["Escríbeme un poema sobre el mar", "¿Qué tiempo hace en Sevilla?"]
)
def test_nothing_related_gets_no_list_of_unrelated_products(question: str) -> None:
    sea = make_product(
        chain_product_id="mar", name="Muslitos de mar", category_path=("Congelados",)
    )
    answer = compose(understand(question), [ProductFacts(1, sea)])
    assert answer.startswith("No encuentro ese producto") and "[1]" not in answer
    assert answer.endswith(REFUSAL)


@pytest.mark.parametrize(
    ("question", "answer", "why"),
    [
        # the cheapest per kilo is [5] (Dia, 8,25 €/kg)
        ("¿Dónde están más baratas las galletas sin gluten?",
         "Galletas María sin gluten Dia [5] cuesta 1,65 €.", None),
        ("¿Dónde están más baratas las galletas sin gluten?",
         "Galletas María sin gluten Alcampo [2] cuesta 1,75 €.", "no cita [5]"),
        ("¿Dónde están más baratas las galletas sin gluten?",
         "No encuentro galletas sin gluten.", "dice que no lo encuentra, y los datos lo tienen"),
        ("¿Tenéis galletas de wasabi?", "Galletas María sin gluten Dia [5] cuesta 1,65 €.",
         "los datos no tienen lo pedido y no lo dice"),
        ("¿Tenéis galletas de wasabi?", "No encuentro galletas de wasabi.", None),
    ],
)  # fmt: skip
def test_an_answer_must_say_what_the_data_decides(
    question: str, answer: str, why: str | None
) -> None:
    assert disagreement(understand(question), DEMO, answer, day("2026-11-25")) == why


def test_a_history_told_the_wrong_way_disagrees() -> None:
    query = understand("¿Ha subido la leche entera Consum?")
    facts = [_milk()]
    now = day("2026-11-25")
    assert disagreement(query, facts, "Sí, Leche entera Consum [1] ha subido.", now) is None
    assert disagreement(query, facts, "Leche entera Consum [1] ha bajado.", now)
