"""The Telegram bot end to end: python-telegram-bot long-polls a fake Bot API on 127.0.0.1, the
chat service answers with the scripted model over the sample catalogue, and the fake records
what a user would see."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bots.relay import SORRY
from bots.telegram import WELCOME, build_bot
from chat.chat_model import Message, Usage
from chat.facts import money
from chat.runtime import Runtime
from core.errors import ConfigurationError
from tests.app.conftest import chat_settings
from tests.bots.conftest import polling_bot, until
from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.telegram_api import FakeBotApi

pytest.importorskip("telegram", reason="the bots extra is not installed")

REPLY = "{1.name} [1] cuesta {1.price}."


@asynccontextmanager
async def running_bot(
    data_dir: Path, api: FakeBotApi, model: ScriptedChatModel, **model_settings: Any
) -> AsyncIterator[Runtime]:
    settings = chat_settings(
        data_dir,
        bots={"telegram_token": "123:TEST", "telegram_api_url": api.url},
        model=model_settings,
    )
    async with polling_bot(settings, model) as runtime:
        yield runtime


async def test_a_question_is_answered_with_product_price_date_and_link(
    data_dir: Path, bot_api: FakeBotApi
) -> None:
    model = ScriptedChatModel(default=REPLY)
    async with running_bot(data_dir, bot_api, model) as runtime:
        milk = await runtime.store.get_product("mercadona:004258")
        assert milk is not None and milk.name == "Leche entera Hacendado"
        bot_api.say(7, "/start")
        await until(lambda: bot_api.replies_to(7))
        bot_api.say(7, "¿Cuánto cuesta la leche entera Hacendado?")
        await until(lambda: len(bot_api.replies_to(7)) == 2)
    welcome, answer = bot_api.replies_to(7)
    assert welcome.startswith(WELCOME.split("\n")[0][:40])
    assert "Leche entera Hacendado" in answer
    assert f"cuesta {money(milk.price)}" in answer  # the catalogue's price
    assert "precio a 20/11/2026" in answer and "Mercadona" in answer
    assert "](https://example.org/supersmart-sample/mercadona/" in answer  # the product link
    assert "typing" in bot_api.actions(7)


async def test_reset_forgets_and_cadena_filters_the_next_questions(
    data_dir: Path, bot_api: FakeBotApi
) -> None:
    model = ScriptedChatModel(default=REPLY)
    async with running_bot(data_dir, bot_api, model) as runtime:
        bot_api.say(8, "leche entera")
        await until(lambda: len(bot_api.replies_to(8)) == 1)
        stored = "telegram/telegram-8"
        assert await runtime.conversations.recent(stored, 10)
        bot_api.say(8, "/reset")
        await until(lambda: len(bot_api.replies_to(8)) == 2)
        assert await runtime.conversations.recent(stored, 10) == []
        bot_api.say(8, "/cadena dia")
        await until(lambda: len(bot_api.replies_to(8)) == 3)
        bot_api.say(8, "leche entera")
        await until(lambda: len(bot_api.replies_to(8)) == 4)
        bot_api.say(8, "/cadena lidl")
        await until(lambda: len(bot_api.replies_to(8)) == 5)
    replies = bot_api.replies_to(8)
    assert replies[1] == "Hecho: empezamos de cero."
    assert replies[2] == "Ahora busco en Dia."
    context = model.prompts[-1][-1].content
    assert "| Dia |" in context and "| Mercadona |" not in context
    assert "Dia" in replies[3]
    assert "No conozco «lidl»" in replies[4]


async def test_a_burst_of_ten_users_is_answered_in_order_with_nothing_lost(
    data_dir: Path, bot_api: FakeBotApi
) -> None:
    # A small queue: the model is busy most of the burst, and the bot must wait, not drop.
    model = ScriptedChatModel(default=REPLY, delay_s=0.01)
    async with running_bot(data_dir, bot_api, model, queue_size=2, queue_timeout_s=2):
        for user in range(100, 110):
            bot_api.say(user, "leche entera Hacendado")
            bot_api.say(user, "aceite de oliva virgen extra Hacendado")
        await until(
            lambda: all(len(bot_api.replies_to(u)) == 2 for u in range(100, 110)), timeout_s=120
        )
    for user in range(100, 110):
        first, second = bot_api.replies_to(user)
        assert "Leche" in first and "Aceite" in second, (first, second)
    assert model.max_concurrent == 1


async def test_a_flooding_user_is_asked_to_wait(data_dir: Path, bot_api: FakeBotApi) -> None:
    model = ScriptedChatModel(default=REPLY)
    settings_limit = 30  # ChatRelay above: 30 a minute
    async with running_bot(data_dir, bot_api, model):
        for _ in range(settings_limit + 3):
            bot_api.say(9, "leche")
        await until(lambda: len(bot_api.replies_to(9)) == settings_limit + 3, timeout_s=120)
    waits = [r for r in bot_api.replies_to(9) if r.startswith("Vas muy rápido")]
    assert len(waits) == 3


def test_a_missing_token_says_how_to_get_one(data_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="@BotFather"):
        build_bot(chat_settings(data_dir))


async def test_the_polling_command_answers_until_stopped(
    data_dir: Path, bot_api: FakeBotApi
) -> None:
    env = os.environ | {
        "SUPERSMART_DATA_DIR": str(data_dir),
        "SUPERSMART_RETRIEVAL__EMBEDDER": "hash",
        "SUPERSMART_DATALAKE__ENABLED": "false",
        "SUPERSMART_MODEL__BACKEND": "data-only",  # answers composed from the data
        "SUPERSMART_BOTS__TELEGRAM_TOKEN": "123:TEST",
        "SUPERSMART_BOTS__TELEGRAM_API_URL": bot_api.url,
    }
    command = [sys.executable, "-m", "cli.main", "bot", "telegram"]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).parents[2])
    try:
        bot_api.say(11, "leche entera Hacendado")
        await until(lambda: bot_api.replies_to(11), timeout_s=60)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert "Leche entera Hacendado" in bot_api.replies_to(11)[0]


class BrokenModel(ScriptedChatModel):
    def stream(self, messages: Sequence[Message], max_tokens: int, usage: Usage) -> Iterator[str]:
        raise RuntimeError("llama.cpp crashed")


async def test_an_unexpected_failure_is_logged_and_the_user_gets_an_apology(
    data_dir: Path, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(data_dir, bot_api, BrokenModel()):
        bot_api.say(12, "leche entera Hacendado")
        await until(lambda: bot_api.replies_to(12))
        bot_api.say(12, "/help")  # the bot is still there
        await until(lambda: len(bot_api.replies_to(12)) == 2)
    assert bot_api.replies_to(12)[0] == SORRY
    assert "llama.cpp crashed" in caplog.text
