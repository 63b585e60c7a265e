"""Gold replies for the `draft` prompt: the data decides (the product asked, the cheapest by
unit price, "No encuentro"); the reply says it short, and the service accepts it as it is."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from chat import replies
from chat.compose import REFUSAL, compose, disagreement
from chat.facts import ProductFacts
from chat.prompt import DRAFT_RULES
from chat.replies import FIRST, lead
from finetune.dataset import ungrounded
from finetune.phrasing import reply
from retrieval.query import understand
from tests.factories import day, make_price, make_product

NOW = day("2026-11-20")


def _biscuits(ref: int, chain: str, price: str, per_kg: str) -> ProductFacts:
    product = make_product(
        chain=chain, chain_product_id=f"g-{chain}", brand=chain.title(),
        name=f"Galletas María sin gluten {chain.title()}", price=Decimal(price),
        reference_price=Decimal(per_kg),
        reference_unit="kg", unit_size=0.2, size_unit="kg", ean=None,
    )  # fmt: skip
    return ProductFacts(ref, product)


# Retrieval order is not price order: the cheapest per kilo is [3].
BISCUITS = [
    _biscuits(1, "carrefour", "1.85", "9.25"),
    _biscuits(2, "alcampo", "1.75", "8.75"),
    _biscuits(3, "dia", "1.65", "8.25"),
]
OIL = ProductFacts(
    1,
    make_product(),
    (make_price("mercadona:4241", "9.45", "2026-10-01"), make_price("mercadona:4241", "8.95",
                                                                     "2026-11-01")),
)  # fmt: skip


COOSUR = ProductFacts(
    2,
    make_product(chain="dia", chain_product_id="c-1", name="Aceite de oliva virgen extra Coosur",
                 brand="Coosur", price=Decimal("7.95"), reference_price=Decimal("7.95"), ean=None),
)  # fmt: skip


def _accepted(question: str, facts: list[ProductFacts], text: str) -> None:
    """What the service would do with this reply: show it as the model's own."""
    assert ungrounded(text, facts, DRAFT_RULES) == [], text
    assert disagreement(understand(question), facts, text, NOW) is None, text


@pytest.mark.parametrize("seed", range(6))
def test_a_price_question_gets_the_product_asked_and_its_price(seed: int) -> None:
    question = "¿Cuánto cuesta Aceite de oliva virgen extra Hacendado?"
    text = reply(understand(question), [OIL], NOW, random.Random(seed))
    assert text is not None and "[1]" in text and "8,95 €" in text and "01/11/2026" in text
    _accepted(question, [OIL], text)


@pytest.mark.parametrize("seed", range(6))
def test_the_cheapest_is_the_cheapest_per_kilo_with_the_one_after_it(seed: int) -> None:
    question = "¿Dónde están más baratas las galletas sin gluten?"
    text = reply(understand(question), BISCUITS, NOW, random.Random(seed))
    assert text is not None
    assert text.index("[3]") < text.index("[2]") and "[1]" not in text
    assert "8,25 €/kg" in text and "8,75 €/kg" in text
    _accepted(question, BISCUITS, text)


def test_a_price_per_kilo_asked_is_the_figure_given() -> None:
    question = "¿A cuánto sale el litro de Aceite de oliva virgen extra Hacendado?"
    text = reply(understand(question), [OIL], NOW, random.Random(0))
    assert text is not None and "8,95 €/l" in text
    _accepted(question, [OIL], text)


def test_a_price_history_is_the_composed_story_of_the_product() -> None:
    question = "¿Ha bajado Aceite de oliva virgen extra Hacendado?"
    text = reply(understand(question), [OIL], NOW, random.Random(0))
    assert text is not None and "bajado" in text and "9,45 €" in text and "8,95 €" in text
    _accepted(question, [OIL], text)


def test_what_the_data_has_not_got_is_not_found_and_off_topic_is_refused() -> None:
    question = "¿Tenéis turrón de wasabi?"
    text = reply(understand(question), [OIL], NOW, random.Random(0))
    assert text is not None and text.startswith("No encuentro «") and "[" not in text
    _accepted(question, [OIL], text)
    poem = "Escríbeme un poema sobre el mar"
    assert reply(understand(poem), [OIL], NOW, random.Random(0), "off_topic") == REFUSAL


def test_nothing_to_phrase_gets_no_reply() -> None:
    rng = random.Random(0)
    assert reply(understand("hola"), [OIL], NOW, rng) is None  # greetings never reach the model
    assert reply(understand("¿Cuánto cuesta el aceite?"), [], NOW, rng) is None
    ingredients = "¿Qué ingredientes tiene Aceite de oliva virgen extra Hacendado?"
    assert reply(understand(ingredients), [OIL], NOW, rng, "ingredients") is None


def test_a_size_question_gets_the_size() -> None:
    question = "¿Qué tamaño tiene Aceite de oliva virgen extra Hacendado?"
    text = reply(understand(question), [OIL], NOW, random.Random(0), "size")
    assert text is not None and "1 l" in text and "[1]" in text


@pytest.mark.parametrize("seed", range(4))
def test_a_list_under_a_price_names_every_product_cheapest_first(seed: int) -> None:
    question = "¿Qué galletas sin gluten hay por menos de 2 €?"
    text = reply(understand(question), BISCUITS, NOW, random.Random(seed))
    assert text is not None
    assert text.index("[3]") < text.index("[2]") < text.index("[1]")
    _accepted(question, BISCUITS, text)
    one = reply(understand("¿Cuánto cuestan las galletas sin gluten?"), BISCUITS, NOW,
                random.Random(seed))  # fmt: skip
    assert disagreement(understand(question), BISCUITS, one or "", NOW) is not None


@pytest.mark.parametrize(
    ("question", "sentences"),
    [
        ("¿Dónde están más baratas las galletas sin gluten?", 1),  # the one after it: the model's
        ("Aceite de oliva virgen extra Hacendado o aceite de oliva virgen extra Coosur, ¿cuál "
         "sale más barato?", 2),  # both asked: the lead names both
        ("¿Qué galletas sin gluten hay por menos de 2 €?", 1),
        ("¿Cuánto cuesta Aceite de oliva virgen extra Hacendado?", 1),
        ("¿Ha bajado Aceite de oliva virgen extra Hacendado?", 1),
    ],
)  # fmt: skip
def test_the_services_lead_is_how_the_trained_reply_begins(question: str, sentences: int) -> None:
    """What the service shows before the model: the reply in its first wording (one every
    adapter learned), cut after the first sentences that answer alone; the model goes on."""
    facts = [OIL, COOSUR] if "Coosur" in question else [OIL] if "Aceite" in question else BISCUITS
    query = understand(question)
    opening = lead(query, facts, NOW)
    whole = replies.reply(query, facts, NOW, FIRST)
    assert opening is not None and whole is not None and whole.startswith(opening)
    assert opening.count(". ") + 1 == sentences, opening
    _accepted(question, facts, opening)
    assert any(reply(query, facts, NOW, random.Random(s)) == whole for s in range(20))


def test_no_lead_when_the_data_has_not_got_what_was_asked() -> None:
    assert lead(understand("¿Tenéis turrón de wasabi?"), [OIL], NOW) is None


@pytest.mark.parametrize(
    "question",
    ["¿De qué marca es Aceite de oliva virgen extra Hacendado?",
     "¿Qué tamaño tiene Aceite de oliva virgen extra Hacendado?",
     "¿Cuánto trae el envase de Aceite de oliva virgen extra Hacendado?",
     "¿Qué ingredientes tiene Aceite de oliva virgen extra Hacendado?"],
)  # fmt: skip
def test_no_lead_when_the_question_asks_of_the_product_something_else(question: str) -> None:
    """A brand, a size, ingredients: the adapter answers those from its first word (a price
    first would be an answer to another question)."""
    assert lead(understand(question), [OIL], NOW) is None


def test_of_two_named_products_one_missing_is_not_taken_for_the_other() -> None:
    """ "Hacendado o Coosur" with only the Hacendado oil found: the Coosur is missing, not
    "Aceite de oliva virgen extra Hacendado" said less a word, and no one is the cheapest."""
    query = understand(
        "Aceite de oliva virgen extra Hacendado o aceite de oliva virgen extra Coosur, ¿cuál sale "
        "más barato?"
    )
    assert lead(query, [OIL], NOW) is None
    said = compose(query, [OIL], NOW)
    assert said.startswith("No encuentro exactamente «") and "coosur»" in said, said
