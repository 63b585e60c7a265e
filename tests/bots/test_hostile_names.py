"""Hostile product texts through both bots (issue #18): Telegram takes every answer (its
MarkdownV2 parsed by the fake as api.telegram.org parses it) and shows each name as it is
stored; WhatsApp, which has no escape, shows names that read the same but format nothing, and
no name or address can add a price line. End to end against the fake APIs, then the formatter
alone with names long enough to be split."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bots.format import telegram_messages, whatsapp_messages
from chat.answer import ChatAnswer, Grounding
from chat.chat_model import Usage
from chat.facts import ProductFacts
from core.settings import Settings
from tests.app.conftest import LiveServer, chat_settings
from tests.bots.conftest import polling_bot, until
from tests.factories import make_product
from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.graph_api import FakeGraphApi, formatting, signed, webhook_payload
from tests.fakes.telegram_api import EntityParseError, FakeBotApi, parse_markdown_v2
from tests.hostile import (  # noqa: F401  (fixtures)
    LONG_WORD,
    NAMES,
    REPLY,
    RLO,
    RTL,
    hostile_dir,
    hostile_store,
)

pytest.importorskip("telegram", reason="the bots extra is not installed")
pytest.importorskip("pywa", reason="the bots extra is not installed")

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
LOOKALIKES = str.maketrans({"\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"})
# Every product by name and price; the grounding check keeps what it can verify.
QUESTIONS = {"scripted": "pitaya roja", "data-only": "¿Qué pitayas tienes y cuánto cuestan?"}
IN_ANSWER = {
    "scripted": ["dia:h1", "dia:h2", "consum:h6", "consum:h7", RTL],
    "data-only": list(NAMES),
}
PRICE_LINE = re.compile(r"^\d+,\d\d € .* en \w+, precio a \d\d/\d\d/\d{4}$", re.M)
SECRET = "app-secret"
TELEGRAM_END = re.compile(r"precio a \d\d/\d\d/\d{4}$")  # the last product's details
WHATSAPP_END = re.compile(r"\nhttps://\S+$")  # the last product's address


def shown(name: str) -> str:
    """A name as a phone may show it: no bidi controls, line breaks as spaces."""
    return " ".join(BIDI_CONTROLS.sub("", name).split())


def hostile_settings(data_dir: Path, backend: str, **bots: str) -> Settings:
    return chat_settings(
        data_dir,
        bots=bots,
        chat={"products_in_context": len(NAMES)},
        model={"backend": "llama-cpp" if backend == "scripted" else "data-only"},
    )


def model_for(backend: str) -> ScriptedChatModel | None:
    return ScriptedChatModel(default=REPLY) if backend == "scripted" else None


@asynccontextmanager
async def telegram_bot(settings: Settings, backend: str) -> AsyncIterator[None]:
    async with polling_bot(settings, model_for(backend)):
        yield


def answered(messages: list[str], end: re.Pattern[str]) -> bool:
    """The whole answer is there: its last message ends as a product's block does."""
    return bool(messages) and end.search(messages[-1]) is not None


def check_telegram(messages: list[str], names: list[str]) -> str:
    """Every message as a user reads it: parsed by the fake's MarkdownV2 parser, the only
    formatting the bold (linked) product names; returns the text read."""
    read = []
    for message in messages:
        text, entities = parse_markdown_v2(message)  # raises as Telegram would refuse
        assert len(text.encode("utf-16-le")) // 2 <= 4096
        for entity in entities:
            span = text[entity.offset : entity.offset + entity.length]
            assert entity.type in ("bold", "text_link"), (entity, span)
            assert span in {shown(n) for n in NAMES.values()}, span  # a name, bold, not more
        read.append(text)
    everything = " ".join(" ".join(read).split())  # a long name may go on in the next message
    missing = [name[:60] for name in names if shown(name) not in everything]
    assert not missing, f"not shown as stored: {missing}"  # every character as stored
    return everything


def check_whatsapp(messages: list[str], names: list[str], cited: int) -> None:
    """Every message under WhatsApp's limit; only the product names bold (names read the same,
    their formatting characters look-alikes); exactly one price line per cited product."""
    assert all(0 < len(m) <= 4096 for m in messages)
    spans = [span for m in messages for span in formatting(m)]
    assert all(style == "bold" for style, _ in spans), spans
    assert len(spans) == cited, spans  # "[n] *name*", once per product
    everything = "\n".join(messages)
    readable = " ".join(everything.translate(LOOKALIKES).split())
    missing = [name[:60] for name in names if shown(name) not in readable]
    assert not missing, f"not shown as stored: {missing}"
    assert len(PRICE_LINE.findall(everything)) == cited, everything
    assert "\n0,01 €" not in everything  # the forged line, from the name or the address


@pytest.mark.parametrize("backend", ["scripted", "data-only"])
async def test_telegram_takes_every_answer_and_shows_names_as_stored(
    hostile_dir: Path,  # noqa: F811
    backend: str,
) -> None:
    with FakeBotApi() as api:
        settings = hostile_settings(
            hostile_dir, backend, telegram_token="123:TEST", telegram_api_url=api.url
        )
        async with telegram_bot(settings, backend):
            api.say(21, QUESTIONS[backend])
            await until(lambda: answered(api.replies_to(21), TELEGRAM_END) or api.rejected)
    assert api.rejected == []  # Telegram took every message (no 400, no apology instead)
    read = check_telegram(api.replies_to(21), [NAMES[p] for p in IN_ANSWER[backend]])
    assert "Pitaya ajor ocerp" in read and RLO not in read
    lines = "\n".join(parse_markdown_v2(m)[0] for m in api.replies_to(21)).splitlines()
    assert not [line for line in lines if line.startswith(("0,01 €", "[9] *"))]  # no forged line


@pytest.mark.parametrize("backend", ["scripted", "data-only"])
async def test_whatsapp_names_read_the_same_and_format_nothing(
    hostile_dir: Path,  # noqa: F811
    backend: str,
) -> None:
    with FakeGraphApi() as graph:
        settings = hostile_settings(
            hostile_dir, backend, whatsapp_token="wa-token", whatsapp_phone_id="1234",
            whatsapp_app_secret=SECRET, whatsapp_verify_token="verify-me",
            whatsapp_api_url=graph.url,
        )  # fmt: skip
        with LiveServer(settings, model_for(backend)) as live:
            body = json.dumps(webhook_payload("34600000021", QUESTIONS[backend])).encode()
            posted = httpx.post(
                f"{live.url}/whatsapp/webhook", content=body, headers=signed(body, SECRET)
            )
            assert posted.status_code == 200
            phone = "34600000021"
            await until(lambda: answered(graph.texts_to(phone), WHATSAPP_END) or graph.rejected)
    assert graph.rejected == []
    messages = graph.texts_to("34600000021")
    cited = sum(len(re.findall(r"^\[\d+\] \*", m, re.M)) for m in messages)
    assert cited >= len(IN_ANSWER[backend])
    check_whatsapp(messages, [NAMES[p] for p in IN_ANSWER[backend]], cited)


def _answer(text: str, names: list[str]) -> ChatAnswer:
    cited = [
        ProductFacts(n, make_product(name=name, chain_product_id=str(n), price=Decimal("1.25")))
        for n, name in enumerate(names, 1)
    ]
    return ChatAnswer("c", "q", text, cited, cited, Grounding("verified"), {}, Usage(), "m", "v")


@pytest.mark.parametrize("limit", [4096, 700, 160])
def test_names_longer_than_a_message_are_split_and_still_read_as_stored(limit: int) -> None:
    # A name of thousands of characters: its bold must not be cut into two messages.
    giant = " ".join([*NAMES.values(), LONG_WORD] * 12)
    names = [*NAMES.values(), giant]
    answer = _answer(" ".join(f"Tienes {shown(n)} [{i}]." for i, n in enumerate(names, 1)), names)
    telegram = telegram_messages(answer, limit)
    assert all(len(m) <= limit for m in telegram)
    unspaced = re.sub(r"\s", "", check_telegram(telegram, []))  # a word over the limit is cut
    assert all(re.sub(r"\s", "", shown(name)) in unspaced for name in names)
    whatsapp = whatsapp_messages(answer, limit)
    assert all(len(m) <= limit for m in whatsapp)
    spans = [s for m in whatsapp for s in formatting(m)]
    assert all(style == "bold" for style, _ in spans), spans
    readable = re.sub(r"\s", "", "".join(whatsapp).translate(LOOKALIKES))
    assert all(re.sub(r"\s", "", shown(name)) in readable for name in names)


@pytest.mark.parametrize("limit", range(40, 48))
def test_a_run_of_backslashes_longer_than_a_message_is_cut_between_escapes(limit: int) -> None:
    word = "x" + "\\" * 60 + ".!"  # escaped: 124 characters, one word
    telegram = telegram_messages(_answer(f"Mira {word}", []), limit)
    assert len(telegram) > 2 and all(len(m) <= limit for m in telegram)
    assert "".join(check_telegram(telegram, []).split()) == f"Mira{word}"


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("8\\.95 € \\(1 l\\)", "8.95 € (1 l)"),
        ("*[Leche \\_x](https://a.example/p?a=\\)b)* y `a.b\\`c`", "Leche _x y a.b`c"),
        ("__sub__ ||spoiler|| ~tachado~ _it_", "sub spoiler tachado it"),
        ("> cita\nbarra \\\\", " cita\nbarra \\"),
    ],
)
def test_the_fake_reads_markdown_v2_as_telegram(text: str, read: str) -> None:
    assert parse_markdown_v2(text)[0] == read


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("8.95 €", "Character '.' is reserved"),
        ("*Oferta nueva", "Can't find end of Bold entity at byte offset 0"),
        ("[a](https://a.example/p", "Can't find end of a URL"),
        ("[a](https://a.example/(p))", "Character ')' is reserved"),
        ("a > b", "Character '>' is reserved"),
        ("`code", "Can't find end of Code entity"),
    ],
)
def test_the_fake_refuses_what_telegram_refuses(text: str, says: str) -> None:
    with pytest.raises(EntityParseError, match=re.escape(says)):
        parse_markdown_v2(text)
