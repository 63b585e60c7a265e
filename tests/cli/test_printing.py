"""The terminal shows names as they are: square brackets in a product name or a question are
text, not rich markup (rich used to eat "[pulsa]")."""

from __future__ import annotations

import pytest

from chat.answer import ChatAnswer, Grounding
from chat.chat_model import Usage
from chat.facts import ProductFacts
from cli.chat import print_answer
from tests.factories import make_product


def test_brackets_in_names_questions_and_answers_are_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    product = make_product(name="Galletas [pulsa] María [bold]", chain="dia")
    answer = ChatAnswer(
        "c", "¿y las [red]galletas[/]?", "Tengo Galletas [pulsa] María [bold] [1].",
        [ProductFacts(1, product)], [ProductFacts(1, product)], Grounding("verified"),
        {"total": 12.0}, Usage(), "m", "v",
    )  # fmt: skip

    print_answer(answer)

    out = capsys.readouterr().out
    assert "¿y las [red]galletas[/]?" in out
    assert "Tengo Galletas [pulsa] María [bold] [1]." in out
    assert out.count("[pulsa]") == 2  # the answer, and the product's row in the table
