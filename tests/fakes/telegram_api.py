"""A fake Telegram Bot API on 127.0.0.1: real HTTP, enough of the API for python-telegram-bot.

Tests push user messages (`say`), the bot long-polls them with getUpdates exactly as it would
from api.telegram.org, and everything the bot sends is recorded (`sent`, `replies_to`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import LoopbackServer

BOT = {"id": 4242, "is_bot": True, "first_name": "SuperSmart", "username": "supersmart_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False,
       "supports_inline_queries": False}  # fmt: skip


class FakeBotApi(LoopbackServer):
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []  # (method, parameters)
        self.webhook: dict[str, Any] | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__(
            Starlette(routes=[Route("/bot{token}/{method}", self._call, methods=["POST"])])
        )
        self.url = f"{self.url}/bot"  # python-telegram-bot's base_url: the token follows

    # what tests do -------------------------------------------------------------------------
    def update(self, chat_id: int, text: str) -> dict[str, Any]:
        """The update Telegram would send for `text` from user `chat_id` (private chat)."""
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": f"U{chat_id}"},
            "from": {"id": chat_id, "is_bot": False, "first_name": f"U{chat_id}"},
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": next(self._ids), "message": message}

    def say(self, chat_id: int, text: str) -> None:
        with self._lock:
            self.updates.append(self.update(chat_id, text))

    def replies_to(self, chat_id: int) -> list[str]:
        return self._sent_to(chat_id, "sendMessage", "text")

    def actions(self, chat_id: int) -> list[str]:
        return self._sent_to(chat_id, "sendChatAction", "action")

    def _sent_to(self, chat_id: int, wanted: str, field: str) -> list[str]:
        with self._lock:
            return [
                str(p[field])
                for method, p in self.sent
                if method == wanted and int(p["chat_id"]) == chat_id
            ]

    # the API -------------------------------------------------------------------------------
    async def _call(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        body = (await request.body()).decode()
        form = parse_qsl(body) if "json" not in request.headers.get("content-type", "") else []
        params: dict[str, Any] = json.loads(body) if body and not form else {}
        for key, value in form:
            try:
                params[key] = json.loads(str(value))
            except json.JSONDecodeError:
                params[key] = str(value)
        if method == "getUpdates":
            return _ok(await self._poll(int(params.get("offset", 0) or 0),
                                        float(params.get("timeout", 0) or 0)))  # fmt: skip
        with self._lock:
            self.sent.append((method, params))
        if method == "getMe":
            return _ok(BOT)
        if method == "sendMessage":
            chat = {"id": int(params["chat_id"]), "type": "private"}
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat,
                       "text": str(params["text"]), "from": BOT}  # fmt: skip
            return _ok(message)
        if method == "setWebhook":
            self.webhook = params
        if method == "deleteWebhook":
            self.webhook = None
        if method == "getWebhookInfo":
            return _ok({"url": (self.webhook or {}).get("url", ""), "has_custom_certificate":
                        False, "pending_update_count": 0})  # fmt: skip
        return _ok(True)

    async def _poll(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + min(timeout, 1.0)
        while True:
            with self._lock:
                ready = [u for u in self.updates if u["update_id"] >= offset]
                self.updates = ready  # confirmed updates are gone, as in the real API
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.02)


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})
