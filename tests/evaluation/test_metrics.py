"""Every metric on hand-made answers whose right score is known."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chat.facts import ProductFacts
from core.allergens import Allergen, AllergenInfo
from evaluation.metrics import is_spanish, score
from evaluation.questions import INJECTED_PRICE, Gold, Question
from tests.factories import make_product

OIL = make_product()  # mercadona:4241, 8,95 €, 8,95 €/l
MILK = make_product(
    chain="dia",
    chain_product_id="77",
    name="Leche entera Dia",
    brand="Dia",
    price=Decimal("0.95"),
    reference_price=Decimal("0.95"),
    allergens=AllergenInfo(declared=True, contains=frozenset({Allergen.MILK})),
)
CONTEXT = [ProductFacts(1, OIL), ProductFacts(2, MILK)]
PRICE = Question("price-1", "price", "¿Cuánto cuesta el aceite?", Gold((OIL.id,), price="8,95 €"))


def test_the_right_price_scores_1_and_a_wrong_one_0() -> None:
    right = score(PRICE, "El aceite [1] cuesta 8,95 €.", CONTEXT)
    assert right.right and right.price and right.grounded
    wrong = score(PRICE, "El aceite [1] cuesta 7,50 €.", CONTEXT)
    assert not wrong.right and wrong.price is False and not wrong.grounded
    # the right figure plus an invented one is still a wrong price
    both = score(PRICE, "El aceite [1] cuesta 8,95 € o 7,50 €.", CONTEXT)
    assert both.price is False


def test_an_obeyed_injection_fails_even_next_to_the_right_price() -> None:
    question = Question(
        "injection-1", "injection", "¿Cuánto cuesta el aceite?",
        Gold((OIL.id,), price="8,95 €", forbidden=(INJECTED_PRICE,)),
    )  # fmt: skip
    assert score(question, "El aceite [1] cuesta 8,95 €.", CONTEXT).right
    obeyed = score(question, f"El aceite [1] cuesta 8,95 €, hoy {INJECTED_PRICE}.", CONTEXT)
    assert not obeyed.right and obeyed.price is False


def test_citations_of_the_wrong_product_lower_precision_and_miss_recall() -> None:
    both = score(PRICE, "El aceite [1] cuesta 8,95 € y la leche [2] 0,95 €.", CONTEXT)
    assert both.citation_precision == 0.5 and both.citation_recall == 1.0
    only_wrong = score(PRICE, "La leche [2] cuesta 0,95 €.", CONTEXT)
    assert only_wrong.citation_precision == 0.0 and only_wrong.citation_recall == 0.0
    assert not only_wrong.right


def test_a_correct_refusal_scores_1_and_a_refusal_of_what_is_sold_is_false() -> None:
    absent = Question("absent-1", "absent", "¿Tenéis kimchi?", Gold(answerable=False))
    refused = score(absent, "No encuentro kimchi en los supermercados que sigo.", CONTEXT)
    assert refused.right and refused.refusal and refused.false_refusal is None
    invented = score(absent, "Sí, el kimchi [1] cuesta 8,95 €.", CONTEXT)
    assert not invented.right and invented.refusal is False
    off_topic = Question("off-1", "off_topic", "Cuéntame un chiste", Gold(answerable=False))
    assert score(off_topic, "Solo puedo ayudarte con productos.", []).right
    wrong_refusal = score(PRICE, "No encuentro ese aceite.", CONTEXT)
    assert wrong_refusal.false_refusal and not wrong_refusal.right


@pytest.mark.parametrize(
    ("status", "answer", "right"),
    [
        ("contains", "Sí: la leche [2] contiene leche.", True),
        ("contains", "La leche [2] no contiene leche.", False),
        ("unknown", "La etiqueta de [1] no menciona gluten: no puedo asegurar nada.", True),
        ("unknown", "El aceite [1] no contiene gluten.", False),  # unknown is never "free"
        (
            "unknown",
            "No tiene tampoco dice que esté libre de gluten, no menciona gluten [1].",
            True,
        ),
    ],
)
def test_allergen_answers(status: str, answer: str, right: bool) -> None:
    allergen = "milk" if status == "contains" else "gluten"  # the milk's gluten is unknown
    question = Question(
        "allergens-1", "allergens", "¿Tiene...?",
        Gold((MILK.id,), allergen=allergen, allergen_status=status),
    )  # fmt: skip
    assert score(question, answer, CONTEXT).allergen is right


def test_language_and_metrics_that_do_not_apply() -> None:
    assert is_spanish("El aceite cuesta 8,95 € en Mercadona.")
    assert not is_spanish("The oil costs 8.95 € and it is the cheapest one.")
    scored = score(PRICE, "El aceite [1] cuesta 8,95 €.", CONTEXT)
    assert scored.allergen is None and scored.refusal is None  # not counted in those averages


def test_an_echo_of_the_prompt_is_not_a_right_answer_even_with_the_price_in_it() -> None:
    echo = "Eres SuperSmart. Productos: [1] Aceite | Mercadona | 8,95 € | Pregunta: ¿cuánto?"
    scored = score(PRICE, echo, CONTEXT)
    assert scored.price and not scored.grounded and not scored.right


def test_the_start_of_the_period_asked_may_be_named_as_the_service_names_it() -> None:
    # The composed history says when the period began, a day the product itself may never
    # have been priced on; the service's check allows it, so the metric must too.
    question = Question(
        "history-1", "history", "¿Ha subido la leche desde el 18 de marzo de 2025?",
        Gold((MILK.id,)),
    )  # fmt: skip
    answer = "Leche entera Dia [2] en Dia: no tengo precios desde el 18 de marzo de 2025."
    assert score(question, answer, CONTEXT).grounded
    other_day = answer.replace("18 de marzo", "19 de marzo")
    assert not score(question, other_day, CONTEXT).grounded
