"""Answers as phones show them: escaped for Telegram's MarkdownV2, split under the limit at
clean boundaries with nothing lost."""

from __future__ import annotations

import re
from decimal import Decimal

from bots.format import telegram_escape, telegram_messages, whatsapp_messages
from chat.answer import ChatAnswer, Grounding
from chat.chat_model import Usage
from chat.facts import ProductFacts
from tests.factories import make_product

OIL = make_product(name="Aceite (1 l) Hacendado_virgen", price=Decimal("8.95"))


def _answer(text: str, cited: list[ProductFacts]) -> ChatAnswer:
    return ChatAnswer("c", "q", text, cited, cited, Grounding("verified"), {}, Usage(), "m", "v")


def test_telegram_escapes_every_special_character_and_keeps_the_link() -> None:
    assert telegram_escape("8.95 € (1-2) [x] _a_ *b* !") == (
        "8\\.95 € \\(1\\-2\\) \\[x\\] \\_a\\_ \\*b\\* \\!"
    )
    (message,) = telegram_messages(_answer("El aceite [1] cuesta 8,95 €.", [ProductFacts(1, OIL)]))
    assert "El aceite \\[1\\] cuesta 8,95 €\\." in message
    assert "*[Aceite \\(1 l\\) Hacendado\\_virgen](https://example.org/p/4241)*" in message
    assert "8,95 € \\(8,95 €/l\\) en Mercadona, precio a 01/11/2026" in message
    # nothing special is left unescaped outside the bold link's own syntax
    outside = re.sub(r"\*\[|\]\(https://[^)]*\)\*|\\.", "", message)
    assert not re.search(r"[_\[\]()~`>#+\-=|{}.!]", outside), outside


def test_long_answers_are_split_under_the_limit_between_sentences_and_products() -> None:
    sentences = [f"Frase número {n} con algo de texto para llenar." for n in range(40)]
    cited = [ProductFacts(n, make_product(chain_product_id=str(n))) for n in range(1, 6)]
    answer = _answer(" ".join(sentences), cited)
    for messages, limit in ((telegram_messages(answer, 300), 300),
                            (whatsapp_messages(answer, 300), 300)):  # fmt: skip
        assert len(messages) > 3 and all(len(m) <= limit for m in messages)
        joined = " ".join(messages)
        assert all(s.split()[2] in joined for s in sentences)  # every sentence, in order
        assert all(not m.startswith(" ") and not m.endswith(" ") for m in messages)
    whatsapp = "\n".join(whatsapp_messages(answer, 300))
    assert whatsapp.count("https://example.org/p/4241") == 5  # every product's link
    positions = [whatsapp.index(f"Frase número {n} ") for n in range(40)]
    assert positions == sorted(positions)


def test_a_word_longer_than_the_limit_is_cut_outside_an_escape() -> None:
    long_url_answer = _answer("Mira " + "a.b" * 80 + ".", [])
    for message in telegram_messages(long_url_answer, 50):
        assert len(message) <= 50 and not message.endswith("\\")
