"""Webhooks on the running API: WhatsApp through pywa against a fake Graph API, Telegram in
webhook mode against the fake Bot API; forged posts are rejected before anything runs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.webhooks import start_bots
from bots.whatsapp import TEXT_ONLY
from chat.runtime import open_runtime
from core.errors import ConfigurationError
from core.settings import Settings
from tests.app.conftest import LiveServer, chat_settings
from tests.bots.conftest import until
from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.graph_api import FakeGraphApi, signed, webhook_payload
from tests.fakes.telegram_api import FakeBotApi

pytest.importorskip("pywa", reason="the bots extra is not installed")
pytest.importorskip("telegram", reason="the bots extra is not installed")

SECRET = "app-secret"
VERIFY = "verify-me"
REPLY = "{1.name} [1] cuesta {1.price}."


@pytest.fixture
def graph() -> Iterator[FakeGraphApi]:
    with FakeGraphApi() as api:
        yield api


def whatsapp_settings(data_dir: Path, graph: FakeGraphApi, **overrides: object) -> Settings:
    bots = {"whatsapp_token": "wa-token", "whatsapp_phone_id": "1234",
            "whatsapp_app_secret": SECRET, "whatsapp_verify_token": VERIFY,
            "whatsapp_api_url": graph.url}  # fmt: skip
    return chat_settings(data_dir, bots=bots, **overrides)


def post(url: str, payload: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = signed(body, secret) if secret else {"Content-Type": "application/json"}
    return httpx.post(f"{url}/whatsapp/webhook", content=body, headers=headers, timeout=10)


async def test_whatsapp_handshake_answer_redelivery_and_forgeries(
    data_dir: Path, graph: FakeGraphApi
) -> None:
    model = ScriptedChatModel(default=REPLY, delay_s=0.05)
    with LiveServer(whatsapp_settings(data_dir, graph), model) as live:
        hook = f"{live.url}/whatsapp/webhook"
        ok = httpx.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                     "hub.challenge": "1158201444"})  # fmt: skip
        assert ok.status_code == 200 and ok.text == "1158201444"
        wrong = httpx.get(hook, params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                        "hub.challenge": "1"})  # fmt: skip
        assert wrong.status_code == 403

        question = webhook_payload("34600000001", "¿Cuánto cuesta la leche entera Hacendado?")
        started = time.monotonic()
        first = post(live.url, question)
        assert first.status_code == 200 and time.monotonic() - started < 1  # acknowledged at once
        assert post(live.url, question).status_code == 200  # Meta redelivers the same message
        await until(lambda: graph.texts_to("34600000001"))
        await asyncio.sleep(1)  # a second answer would have arrived by now
        answers = graph.texts_to("34600000001")
        assert len(answers) == 1 and len(model.prompts) == 1
        assert "Leche entera Hacendado" in answers[0] and "precio a 20/11/2026" in answers[0]
        assert "https://example.org/supersmart-sample/mercadona/004258" in answers[0]

        forged = post(live.url, webhook_payload("34600000002", "leche"), secret="guessed")
        unsigned = post(live.url, webhook_payload("34600000002", "leche"), secret=None)
        assert forged.status_code == 401 and unsigned.status_code == 401

        assert post(live.url, webhook_payload("34600000003", kind="image")).status_code == 200
        await until(lambda: graph.texts_to("34600000003"))
    assert graph.texts_to("34600000002") == []  # nothing processed for forged posts
    assert len(model.prompts) == 1
    assert graph.texts_to("34600000003") == [TEXT_ONLY]


async def test_a_redelivery_after_a_restart_is_not_answered_again(
    data_dir: Path, graph: FakeGraphApi
) -> None:
    question = webhook_payload("34600000009", "¿Cuánto cuesta la leche entera Hacendado?")
    settings = whatsapp_settings(data_dir, graph)
    with LiveServer(settings, ScriptedChatModel(default=REPLY)) as live:
        assert post(live.url, question).status_code == 200
        await until(lambda: graph.texts_to("34600000009"))
    restarted = ScriptedChatModel(default=REPLY)
    with LiveServer(settings, restarted) as live:  # Meta redelivers what it sent before
        assert post(live.url, question).status_code == 200
        await asyncio.sleep(1)  # an answer would have arrived by now
    assert len(graph.texts_to("34600000009")) == 1 and restarted.prompts == []


async def test_whatsapp_burst_of_ten_phones_is_answered_in_order_per_phone(
    data_dir: Path, graph: FakeGraphApi
) -> None:
    model = ScriptedChatModel(default=REPLY, delay_s=0.01)
    settings = whatsapp_settings(data_dir, graph, model={"queue_size": 2, "queue_timeout_s": 2})
    phones = [f"3460000{n:04d}" for n in range(10)]
    with LiveServer(settings, model) as live:
        for phone in phones:
            assert (
                post(live.url, webhook_payload(phone, "leche entera Hacendado")).status_code == 200
            )
            assert (
                post(
                    live.url, webhook_payload(phone, "aceite de oliva virgen extra Hacendado")
                ).status_code
                == 200
            )
        await until(lambda: all(len(graph.texts_to(p)) == 2 for p in phones), timeout_s=120)
    for phone in phones:
        first, second = graph.texts_to(phone)
        assert "Leche" in first and "Aceite" in second, (first, second)


async def test_telegram_webhook_mode_checks_the_secret_token(data_dir: Path) -> None:
    model = ScriptedChatModel(default=REPLY)
    with FakeBotApi() as telegram:
        settings = chat_settings(data_dir, bots={
            "telegram_token": "123:TEST", "telegram_api_url": telegram.url,
            "telegram_webhook_url": "https://bot.example.org/telegram/webhook",
            "telegram_secret_token": "s3cret-token"})  # fmt: skip
        with LiveServer(settings, model) as live:
            assert telegram.webhook is not None
            assert telegram.webhook["url"] == "https://bot.example.org/telegram/webhook"
            assert telegram.webhook["secret_token"] == "s3cret-token"
            update = telegram.update(5, "leche entera Hacendado")
            hook = f"{live.url}/telegram/webhook"
            for secret in ("wrong", None):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                assert httpx.post(hook, json=update, headers=headers).status_code == 401
            good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            assert httpx.post(hook, json=update, headers=good).status_code == 200
            await until(lambda: telegram.replies_to(5))
        assert len(telegram.replies_to(5)) == 1 and len(model.prompts) == 1
        assert "Leche entera Hacendado" in telegram.replies_to(5)[0]


async def test_webhook_mode_without_a_secret_is_refused(data_dir: Path) -> None:
    settings = chat_settings(data_dir, bots={
        "telegram_token": "123:TEST", "telegram_api_url": "http://127.0.0.1:9/bot",
        "telegram_webhook_url": "https://bot.example.org/telegram/webhook"})  # fmt: skip
    runtime = await open_runtime(settings, model=ScriptedChatModel(default=REPLY))
    try:
        with pytest.raises(ConfigurationError, match="TELEGRAM_SECRET_TOKEN"):
            await start_bots(settings, runtime)
    finally:
        await runtime.close()
