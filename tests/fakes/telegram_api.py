"""A fake Telegram Bot API on 127.0.0.1: real HTTP, enough of the API for python-telegram-bot.

Tests push user messages (`say`), the bot long-polls them with getUpdates exactly as it would
from api.telegram.org, and everything the bot sends is recorded (`sent`, `replies_to`).

As strict as api.telegram.org about what it sends: a `MarkdownV2` text is parsed as Telegram
parses it (`parse_markdown_v2`, after tdlib's parser) and a text over 4096 characters after
parsing is refused, both with Telegram's 400 answer; refused messages are kept in `rejected`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import LoopbackServer

MAX_TEXT = 4096  # UTF-16 code units of the text after entities parsing
RESERVED = "_*[]()~`>#+-=|{}.!"

BOT = {"id": 4242, "is_bot": True, "first_name": "SuperSmart", "username": "supersmart_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False,
       "supports_inline_queries": False}  # fmt: skip


class FakeBotApi(LoopbackServer):
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []  # (method, parameters)
        self.rejected: list[tuple[dict[str, Any], str]] = []  # (parameters, description)
        self.revoked: set[str] = set()  # tokens answered 401, as a revoked one is
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
        if request.path_params["token"] in self.revoked:  # as api.telegram.org answers
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
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
        if method == "sendMessage" and (refused := _refusal(params)) is not None:
            with self._lock:
                self.rejected.append((params, refused))
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": refused}, status_code=400
            )
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


def _refusal(params: dict[str, Any]) -> str | None:
    """Telegram's description of why it refuses this sendMessage; None when it takes it."""
    text = str(params.get("text", ""))
    if params.get("parse_mode") == "MarkdownV2":
        try:
            text, _ = parse_markdown_v2(text)
        except EntityParseError as exc:
            return f"Bad Request: can't parse entities: {exc}"
    elif params.get("parse_mode"):
        raise NotImplementedError(f"the fake does not parse {params['parse_mode']}")
    if not text.strip():
        return "Bad Request: message text is empty"
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        return "Bad Request: message is too long"
    return None


class EntityParseError(ValueError):
    """A MarkdownV2 text Telegram cannot parse (the message is the description it gives)."""


@dataclass
class Entity:
    type: str  # bold, italic, underline, strikethrough, spoiler, code, pre, text_link, ...
    offset: int  # in the parsed text (characters here; UTF-16 units in Telegram's answer)
    length: int = 0
    url: str = ""


# Entity opened by a character (the second of a pair is looked at by the parser).
_OPENS = {"*": "bold", "_": "italic", "~": "strikethrough", "[": "text_link", "`": "code"}


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """The text a user reads and its entities, as Telegram parses `MarkdownV2`: a backslash
    escapes any ASCII character; outside code every one of `_*[]()~`>#+-=|{}.!` not escaped
    opens or closes an entity (or is an error); in code and pre only a backquote ends it; in a
    link's `(...)` only `)` ends it. Raises `EntityParseError` with Telegram's words."""
    out: list[str] = []
    done: list[Entity] = []
    stack: list[tuple[Entity, int]] = []  # open entities and the byte offset they began at
    i, size = 0, len(text)

    def at(j: int) -> str:
        return text[j] if j < size else ""

    def offset(j: int) -> int:
        return len(text[:j].encode())

    while i < size:
        c = text[i]
        if c == "\\" and 0 < ord(at(i + 1) or "\0") <= 126:
            out.append(text[i + 1])
            i += 2
            continue
        top = stack[-1][0].type if stack else ""
        reserved = "`" if top in ("code", "pre") else RESERVED
        if c not in reserved:
            out.append(c)
            i += 1
            continue
        if c == ">" and (i == 0 or text[i - 1] == "\n") and not top:  # a quoted line
            i += 1
            continue
        ends = {
            "bold": c == "*",
            "italic": c == "_" and at(i + 1) != "_",
            "underline": c == "_" and at(i + 1) == "_",
            "strikethrough": c == "~",
            "spoiler": c == "|" and at(i + 1) == "|",
            "code": c == "`",
            "pre": text.startswith("```", i),
            "text_link": c == "]",
        }.get(top, False)
        if not ends:
            start = offset(i)
            if c == "_" and at(i + 1) == "_":
                kind, i = "underline", i + 2
            elif c == "|" and at(i + 1) == "|":
                kind, i = "spoiler", i + 2
            elif text.startswith("```", i):
                kind, i = "pre", i + 3
                while i < size and text[i] not in "\n`":  # the language
                    i += 1
            elif c in _OPENS:
                kind, i = _OPENS[c], i + 1
            else:
                raise EntityParseError(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append((Entity(kind, len("".join(out))), start))
            continue
        entity, _ = stack.pop()
        i += {"underline": 2, "spoiler": 2, "pre": 3}.get(entity.type, 1)
        if entity.type == "text_link":
            if at(i) != "(":
                entity.url = "".join(out)[entity.offset :]
            else:
                url_start, i = offset(i + 1), i + 1
                url: list[str] = []
                while i < size and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(at(i + 1) or "\0") <= 126:
                        url.append(text[i + 1])
                        i += 2
                        continue
                    url.append(text[i])
                    i += 1
                if at(i) != ")":
                    raise EntityParseError(f"Can't find end of a URL at byte offset {url_start}")
                entity.url, i = "".join(url), i + 1
        entity.length = len("".join(out)) - entity.offset
        if entity.length:
            done.append(entity)
    if stack:
        entity, start = stack[-1]
        name = entity.type.replace("_", " ").title().replace(" ", "")
        raise EntityParseError(f"Can't find end of {name} entity at byte offset {start}")
    return "".join(out), sorted(done, key=lambda e: e.offset)
