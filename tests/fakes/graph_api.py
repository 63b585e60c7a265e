"""A fake WhatsApp Cloud (Graph) API on 127.0.0.1 that records the messages sent, and the
webhook payloads Meta would post (current format: `contacts[].user_id` included).

As strict as graph.facebook.com about a text message: a body that is empty or over 4096
characters is refused with Graph's 400 error (kept in `rejected`). `formatting` says what a
WhatsApp client would show bold, italic, struck through or monospaced in a text."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import LoopbackServer


class FakeGraphApi(LoopbackServer):
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.rejected: list[tuple[dict[str, Any], str]] = []  # (body, details)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        route = Route("/{version}/{phone_id}/messages", self._message, methods=["POST"])
        super().__init__(Starlette(routes=[route]))

    def texts_to(self, phone: str) -> list[str]:
        with self._lock:
            return [m["text"]["body"] for m in self.sent if m["to"] == phone]

    async def _message(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        assert request.headers["authorization"].startswith("Bearer ")
        if (refused := _refusal(body)) is not None:
            with self._lock:
                self.rejected.append((body, refused))
            error = {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
                     "error_data": {"messaging_product": "whatsapp", "details": refused},
                     "fbtrace_id": "AbCdEf"}  # fmt: skip
            return JSONResponse({"error": error}, status_code=400)
        with self._lock:
            self.sent.append(body)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.out.{next(self._ids)}"}],
            }
        )


MAX_TEXT = 4096


def _refusal(body: dict[str, Any]) -> str | None:
    """Graph's reason to refuse a message; None when it takes it."""
    if body.get("type", "text") != "text":
        return None
    text = str((body.get("text") or {}).get("body", ""))
    if not text.strip():
        return "Param text['body'] is required."
    if len(text) > MAX_TEXT:
        return f"Param text['body'] must be at most {MAX_TEXT} characters long."
    return None


# What a WhatsApp client formats: a marker that opens after a space, punctuation or the start
# and before a non-space, and closes before a space, punctuation or the end, on one line.
_STYLES = {
    "bold": r"\*",
    "italic": "_",
    "strikethrough": "~",
    "monospace": "```",
    "code": "(?<!`)`(?!`)",
}
_LINE_STYLES = {"quote": r"^> ", "list": r"^[*-] ", "numbered": r"^\d+\. "}


def formatting(text: str) -> list[tuple[str, str]]:
    """(style, text) for every span a WhatsApp client would show formatted."""
    found = []
    for style, marker in _STYLES.items():
        pattern = rf"(?<![^\W_]){marker}(?=\S)([^\n]*?\S){marker}(?![^\W_])"
        found += [(style, m[1]) for m in re.finditer(pattern, text)]
    for style, pattern in _LINE_STYLES.items():
        found += [(style, m[0]) for m in re.finditer(pattern, text, re.M)]
    return found


_IDS = itertools.count(1)


def webhook_payload(
    phone: str, text: str | None = None, message_id: str | None = None, kind: str = "text"
) -> dict[str, Any]:
    """What Meta posts when `phone` sends a message (`kind` 'image' for a photo)."""
    message: dict[str, Any] = {
        "from": phone,
        "id": message_id or f"wamid.in.{next(_IDS)}",
        "timestamp": str(int(time.time())),
        "type": kind,
    }
    if kind == "text":
        message["text"] = {"body": text or ""}
    else:
        message[kind] = {"id": "media-1", "mime_type": "image/jpeg", "sha256": "x"}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "34900000000", "phone_number_id": "1234"},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": phone, "user_id": f"u-{phone}"}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "999", "changes": [{"field": "messages", "value": value}]}],
    }


def signed(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}
