"""An answer cut by the model's token limit (`model.max_tokens`) never ends in half a sentence:
the sentences it finished are shown, the one it was writing is not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from chat.facts import ProductFacts
from chat.grounding import Grounder, StreamingCheck
from tests.app.conftest import chat_settings, serve
from tests.factories import make_product
from tests.fakes.chat_model import ScriptedChatModel

QUESTION = "¿Cuánto cuesta la leche entera en Mercadona?"
FINISHED = "El que tengo es [1], a {1.price}."  # 8 words (the fake's) with the price: "1,55 €"
UNFINISHED = "Si quieres también te digo dónde más lo venden hoy mismo."


async def test_the_sentence_the_token_limit_cut_is_not_shown(data_dir: Path) -> None:
    model = ScriptedChatModel(f"{FINISHED} {UNFINISHED}")
    settings = chat_settings(data_dir, model={"max_tokens": 8 + 5})  # stops after "te digo"
    with serve(settings, model) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            events = await streamed(client, QUESTION)
    deltas = [data["text"] for kind, data in events if kind == "delta"]
    done = events[-1][1]
    assert done["usage"]["completion_tokens"] == 8 + 5  # the limit stopped it
    assert "".join(deltas) == done["answer"]
    assert done["answer"].startswith("El que tengo es [1], a ")
    assert done["answer"].endswith(" €.")  # its finished sentence, nothing after it
    assert "te digo" not in done["answer"]
    assert done["grounding"]["verdict"] == "verified"  # cut by us, not wrong
    assert any("límite de tokens" in issue for issue in done["grounding"]["issues"])


def test_half_a_sentence_that_already_fails_still_counts_against_the_answer() -> None:
    check = StreamingCheck(Grounder([ProductFacts(1, make_product())]))  # 8,95 €
    said = check.feed("El aceite [1] cuesta 8,95 €. Y el aceite [1] a 0,01 € en")
    assert said + check.finish(cut=True) == ["El aceite [1] cuesta 8,95 €."]
    assert check.cut is None  # not merely cut: a wrong price, as if it had been finished
    assert [d.text for d in check.dropped] == ["Y el aceite [1] a 0,01 € en"]


async def streamed(client: httpx.AsyncClient, question: str) -> list[tuple[str | None, Any]]:
    """The (event, data) pairs of one `/chat/stream` answer, in order."""
    events, name = [], None
    async with client.stream("POST", "/chat/stream", json={"message": question}) as sent:
        async for line in sent.aiter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events
