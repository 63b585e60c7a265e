"""The held-out gate's judging (the one scorer, as the service would show the reply) on
hand-made answers whose right score is known."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from chat.chat_model import Message
from chat.facts import ProductFacts
from chat.prompt import PromptFormat, build_draft_messages
from core.settings import Settings
from evaluation.heldout import EvalReport, Scored, judge_answer, markdown
from finetune.dataset import Example
from tests.factories import make_product

OIL = make_product()  # 8,95 €, 8,95 €/l, 1 l
MILK = make_product(
    chain="dia", chain_product_id="9", name="Leche entera Dia", price=Decimal("0.95"),
    reference_price=Decimal("0.95"), ean=None,
)  # fmt: skip
FACTS = [ProductFacts(1, OIL), ProductFacts(2, MILK)]


def _example(family: str, product_id: str | None = OIL.id, gold: str = "gold") -> Example:
    messages = [Message("user", "Productos: ...\n\nPregunta: ¿Cuánto cuesta?"),
                Message("assistant", gold)]  # fmt: skip
    return Example(messages, family, "validation", product_id, FACTS)


def test_a_list_answer_may_cite_any_product_its_gold_lists() -> None:
    listed = _example("under", MILK.id, gold="Hay estos: Leche [2] a 0,95 €; Aceite [1] a 8,95 €.")
    alone = _example("under", MILK.id, gold="Leche [2] a 0,95 €.")

    assert judge_answer(listed, "Tengo Aceite [1] a 8,95 €.")[0] is True
    assert judge_answer(alone, "Tengo Aceite [1] a 8,95 €.")[0] is False


@pytest.mark.parametrize(
    ("family", "answer", "right"),
    [
        ("price", "El aceite [1] cuesta 8,95 €.", True),
        ("price", "El aceite [1] cuesta 7,95 €.", False),  # wrong price
        ("price", "La leche [2] cuesta 0,95 €.", False),  # cites the wrong product
        ("price", "El aceite cuesta 8,95 €.", False),  # no citation
        ("reference_price", "Sale a 8,95 €/l [1].", True),
        ("size", "Viene en 1 l [1].", True),
        ("size", "Viene en 2 l [1].", False),
        ("allergens", "Según la etiqueta, el aceite [1] no contiene gluten.", True),
        ("allergens", "Según la etiqueta, la leche [1] no contiene leche.", False),
        ("absent", "No encuentro caviar de beluga.", True),
        ("absent", "Tengo aceite [1] a 8,95 €.", False),
        ("off_topic", "Solo puedo ayudarte con productos, precios y alérgenos.", True),
        ("off_topic", "París.", False),
        ("absent", "No encuentro caviar. Tengo aceite [1] a 8,95 €.", False),  # offers instead
        ("off_topic", "Lo siento, París es la capital de Francia.", False),  # answers anyway
        ("off_topic", "No encuentro eso.", False),  # not the polite refusal
    ],
)
def test_scores(family: str, answer: str, right: bool) -> None:
    product = None if family in ("absent", "off_topic") else OIL.id
    assert judge_answer(_example(family, product), answer)[0] is right


def test_report_counts_per_family_and_quotes_failures() -> None:
    report = EvalReport("m")
    report.scored = [
        Scored("price", "q1", "a", "g", True, ""),
        Scored("price", "q2", "b", "g", False, "does not say 8,95 €"),
        Scored("absent", "q3", "c", "g", True, ""),
    ]
    assert report.by_family() == {"absent": (1, 1), "price": (1, 2)}
    assert report.accuracy == pytest.approx(2 / 3)
    text = markdown([report], "T")
    assert "| price | 1/2 |" in text and "does not say 8,95 €" in text


def test_each_model_is_scored_on_the_prompt_it_was_trained_to_read() -> None:
    from evaluation.heldout import evaluate
    from tests.fakes.chat_model import ScriptedChatModel

    question, data = "¿Cuánto cuesta el aceite?", "Tengo aceite [1]..."
    brief = build_draft_messages(question, data, "brief")
    draft = build_draft_messages(question, data, "draft")
    products = [
        Message("system", "reglas"),
        Message("user", "Productos:\n[1] ...\n\nPregunta: ¿Cuánto cuesta el aceite?"),
    ]
    reply = Message("assistant", "El aceite [1] cuesta 8,95 €.")
    cases: list[tuple[PromptFormat, list[Message]]] = [
        ("brief", brief),
        ("draft", draft),  # the rules back for an adapter trained with them
        ("products", products),
    ]
    for built in (brief, draft):  # whichever format the held-out set was built in
        example = Example([*built, reply], "price", "validation", OIL.id, FACTS, products)
        for prompt, expected in cases:
            model = ScriptedChatModel(reply.content, prompt_format=prompt)
            report = evaluate(model, [example])
            assert model.prompts == [expected], prompt
            assert report.scored[0].right and report.scored[0].question == question


def test_the_gate_passes_a_candidate_only_when_at_least_as_accurate(settings: Settings) -> None:
    from evaluation.heldout import judge_on_examples
    from tests.fakes.chat_model import ScriptedChatModel

    examples = [_example("price"), _example("absent", None)]
    replies = {  # what each adapter answers to the two questions
        Path("good.gguf"): ("El aceite [1] cuesta 8,95 €.", "No encuentro caviar."),
        Path("bad.gguf"): ("El aceite [1] cuesta 7,95 €.", "No encuentro caviar."),
    }

    def model_for(_: Settings, adapter: Path | None) -> ScriptedChatModel:
        assert adapter is not None
        return ScriptedChatModel(*replies[adapter])

    better = judge_on_examples(examples, model_for)(settings, Path("good.gguf"), Path("bad.gguf"))
    worse = judge_on_examples(examples, model_for)(settings, Path("bad.gguf"), Path("good.gguf"))

    assert (better["accuracy"], better["baseline"]["accuracy"], better["passes"]) == (
        1.0,
        0.5,
        True,
    )
    assert (worse["accuracy"], worse["passes"]) == (0.5, False)
    assert better["baseline"]["adapter"] == "bad.gguf" and better["promoted"] is False
    assert "7,95" in worse["candidate"]["answers"][0]["answer"]
    tie = judge_on_examples(examples, model_for)(settings, Path("good.gguf"), Path("good.gguf"))
    assert (tie["accuracy"], tie["passes"]) == (1.0, True)  # as accurate: it may replace it
