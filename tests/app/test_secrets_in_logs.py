"""No configured secret reaches the log: `supersmart serve` as a user runs it (a subprocess,
every secret set, the log at debug), driven through every route that handles one (API keys,
the admin key, both bots' webhooks and the replies they send); then every line it printed is
searched for every secret. The routes secrets leak by are the ones nobody writes on purpose:
uvicorn's access log prints query strings (WhatsApp's handshake sends its verify token in
one), httpx logs URLs (Telegram's hold the bot token)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from core.logs import MASK
from tests.fakes.graph_api import FakeGraphApi, signed, webhook_payload
from tests.fakes.telegram_api import FakeBotApi
from tests.processes import free_port, server_process

pytest.importorskip("pywa", reason="the bots extra is not installed")
pytest.importorskip("telegram", reason="the bots extra is not installed")

API_KEY = "shopper-api-key-9f2c"
ADMIN_KEY = "operator-key-7Hq2-long-enough"
TELEGRAM_TOKEN = "4242:AAE-telegram-token-secret"
TELEGRAM_SECRET = "tg-webhook-secret-51"
WHATSAPP_TOKEN = "EAAG-whatsapp-token-77"
VERIFY = "verify+token/e3b1="  # sent URL-encoded: the access log prints it so
APP_SECRET = "whatsapp-app-secret-0c4"
MONGO_PASSWORD = "mongo-pa55word-xyz"
SECRETS = [API_KEY, ADMIN_KEY, TELEGRAM_TOKEN, TELEGRAM_SECRET, WHATSAPP_TOKEN, VERIFY,
           APP_SECRET, MONGO_PASSWORD]  # fmt: skip


def _env(data_dir: Path, telegram: FakeBotApi, graph: FakeGraphApi) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPERSMART_")}
    env.update({
        "SUPERSMART_DATA_DIR": str(data_dir),
        "SUPERSMART_LOG_LEVEL": "debug",
        "SUPERSMART_RETRIEVAL__EMBEDDER": "hash",
        "SUPERSMART_DATALAKE__ENABLED": "false",
        "SUPERSMART_MODEL__BACKEND": "data-only",
        "SUPERSMART_PIPELINE__SCHEDULE": "",
        "SUPERSMART_STORE__BACKEND": "sqlite",
        "SUPERSMART_STORE__MONGODB_URI": f"mongodb://shopper:{MONGO_PASSWORD}@127.0.0.1:9/",
        "SUPERSMART_API__API_KEYS": json.dumps([API_KEY]),
        "SUPERSMART_API__ADMIN_KEY": ADMIN_KEY,
        "SUPERSMART_BOTS__TELEGRAM_TOKEN": TELEGRAM_TOKEN + "\n",  # as read from a file
        "SUPERSMART_BOTS__TELEGRAM_API_URL": telegram.url,
        "SUPERSMART_BOTS__TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
        "SUPERSMART_BOTS__TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "SUPERSMART_BOTS__WHATSAPP_TOKEN": WHATSAPP_TOKEN,
        "SUPERSMART_BOTS__WHATSAPP_PHONE_ID": "1234",
        "SUPERSMART_BOTS__WHATSAPP_VERIFY_TOKEN": VERIFY,
        "SUPERSMART_BOTS__WHATSAPP_APP_SECRET": APP_SECRET,
        "SUPERSMART_BOTS__WHATSAPP_API_URL": graph.url,
    })  # fmt: skip
    return env


@contextmanager
def _serve(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    env = {**env, "PYTHONPATH": str(Path(__file__).parents[2])}
    with server_process(command, env, port, log, cwd) as (url, _):  # cwd: no developer's .env
        yield url


def _command(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _until(condition: object, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not callable(condition) or not condition():
        assert time.monotonic() < deadline, "never got there"
        time.sleep(0.05)


def _use_every_secret(url: str, telegram: FakeBotApi, graph: FakeGraphApi) -> None:
    chat = {"message": "¿Cuánto cuesta la leche entera Hacendado?"}
    bearer = {"Authorization": f"Bearer {API_KEY}"}
    assert httpx.post(f"{url}/chat", json=chat, headers=bearer, timeout=30).status_code == 200
    keyed = {"X-API-Key": API_KEY}
    assert httpx.post(f"{url}/chat", json=chat, headers=keyed, timeout=30).status_code == 200
    wrong = {"Authorization": f"Bearer {API_KEY}-not"}
    assert httpx.post(f"{url}/chat", json=chat, headers=wrong, timeout=30).status_code == 401
    openai = {"model": "supersmart", "messages": [{"role": "user", "content": chat["message"]}]}
    completions = httpx.post(f"{url}/v1/chat/completions", json=openai, headers=bearer, timeout=30)
    assert completions.status_code == 200

    login = httpx.post(f"{url}/admin/login", data={"key": ADMIN_KEY}, timeout=30)
    assert login.status_code == 303 and "supersmart_admin" in login.cookies
    httpx.post(f"{url}/admin/login", data={"key": ADMIN_KEY[:-1]}, timeout=30)
    admin = {"X-Admin-Key": ADMIN_KEY}
    assert httpx.get(f"{url}/admin/api/runs", headers=admin, timeout=30).status_code == 200
    # a careless script putting the key in the URL: the access log prints query strings
    httpx.get(f"{url}/admin/api/runs", params={"key": ADMIN_KEY}, timeout=30)

    hook = f"{url}/whatsapp/webhook"
    handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"}
    assert httpx.get(hook, params=handshake, timeout=30).text == "42"
    body = json.dumps(webhook_payload("34600000001", "leche entera Hacendado")).encode()
    assert httpx.post(hook, content=body, headers=signed(body, APP_SECRET)).status_code == 200
    _until(lambda: graph.texts_to("34600000001"))

    update = telegram.update(7, "leche entera Hacendado")
    secret = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    telegram_hook = f"{url}/telegram/webhook"
    assert httpx.post(telegram_hook, json=update, headers=secret, timeout=30).status_code == 200
    _until(lambda: telegram.replies_to(7))


def test_no_secret_reaches_the_log_of_a_full_run(data_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with FakeBotApi() as telegram, FakeGraphApi() as graph:
        env = _env(data_dir, telegram, graph)
        with _serve(env, tmp_path, log) as url:
            _use_every_secret(url, telegram, graph)
        # a store that cannot be reached: its error quotes where, never the password
        env["SUPERSMART_STORE__BACKEND"] = "mongodb"
        env["SUPERSMART_STORE__TIMEOUT_S"] = "0.5"
        failed = _command(env, tmp_path, "store", "stats")
        # a revoked bot token: Telegram's own error quotes it
        telegram.revoked.add(TELEGRAM_TOKEN)
        env["SUPERSMART_STORE__BACKEND"] = "sqlite"
        del env["SUPERSMART_BOTS__TELEGRAM_WEBHOOK_URL"]  # polling: `supersmart bot telegram`
        refused = _command(env, tmp_path, "bot", "telegram")
    text = log.read_text(encoding="utf-8", errors="replace")
    text += failed.stdout + failed.stderr + refused.stdout + refused.stderr

    written = {s: {s, quote(s, safe=""), quote_plus(s)} for s in SECRETS}  # as sent in a URL
    leaked = [secret for secret, forms in written.items() if any(f in text for f in forms)]
    assert not leaked, f"secrets in the log: {leaked}"
    # the lines that would have held them are there, masked: the log was read, not empty
    assert f"hub.verify_token={MASK}" in text.replace("%5B", "[").replace("%5D", "]")
    assert f"/bot{MASK}/sendMessage" in text  # httpx at debug: the Bot API URL
    assert "POST /chat HTTP/1.1" in text and "401" in text
    assert failed.returncode == 1 and "Cannot reach MongoDB" in failed.stderr
    assert refused.returncode == 1 and "Telegram refused the bot token" in refused.stderr
