"""WhatsApp Cloud API: webhook updates in, answers out through `pywa`.

Meta posts every update to `/whatsapp/webhook` and redelivers it when the answer is slow or not
2xx, so the route only checks the signature and hands messages here; this class acknowledges at
once, answers in the background, skips message ids it has already taken (redeliveries; the ids
are kept in the store, so a restart does not answer them again), answers
only text ("solo texto" otherwise), and sends each answer in messages under WhatsApp's limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx

from bots.format import whatsapp_messages
from bots.relay import SORRY, ChatRelay, polite
from core.errors import ConfigurationError
from core.settings import Settings
from storage.deliveries import DeliveryLog

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
TEXT_ONLY = "Solo entiendo mensajes de texto: escríbeme tu pregunta sobre productos y precios."


class _Rebased(httpx.AsyncBaseTransport):
    """Sends pywa's Graph API calls to `base` (a test server) instead of graph.facebook.com."""

    def __init__(self, base: str) -> None:
        self._base = httpx.URL(base)
        self._transport = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(
            scheme=self._base.scheme, host=self._base.host, port=self._base.port
        )
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


def incoming(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The user messages in a webhook payload (delivery statuses and the rest are skipped)."""
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            yield from (change.get("value") or {}).get("messages") or []


class WhatsAppChannel:
    def __init__(self, settings: Settings, relay: ChatRelay, delivered: DeliveryLog) -> None:
        bots = settings.bots
        if bots.whatsapp_token is None or not bots.whatsapp_phone_id:
            raise ConfigurationError(
                "WhatsApp needs SUPERSMART_BOTS__WHATSAPP_TOKEN and "
                "SUPERSMART_BOTS__WHATSAPP_PHONE_ID (Meta app > WhatsApp > API setup)."
            )
        if bots.whatsapp_app_secret is None or bots.whatsapp_verify_token is None:
            raise ConfigurationError(
                "WhatsApp webhooks need SUPERSMART_BOTS__WHATSAPP_APP_SECRET (to check that "
                "posts come from Meta) and SUPERSMART_BOTS__WHATSAPP_VERIFY_TOKEN (the "
                "handshake): both are in your Meta app's settings."
            )
        from pywa_async import WhatsApp  # type: ignore[attr-defined]

        rebased = bots.whatsapp_api_url.rstrip("/") != "https://graph.facebook.com"
        self._session = httpx.AsyncClient(
            transport=_Rebased(bots.whatsapp_api_url) if rebased else None, timeout=20
        )
        self._client = WhatsApp(
            phone_id=bots.whatsapp_phone_id,
            token=bots.whatsapp_token.get_secret_value(),
            session=self._session,
        )
        self.app_secret = bots.whatsapp_app_secret.get_secret_value()
        self.verify_token = bots.whatsapp_verify_token.get_secret_value()
        self._relay = relay
        self._delivered = delivered
        self._tasks: set[asyncio.Task[None]] = set()

    async def take(self, payload: dict[str, Any]) -> int:
        """Start answering the new messages of a payload; returns how many were new."""
        taken = 0
        for message in incoming(payload):
            message_id = str(message.get("id", ""))
            if not message_id or not await self._delivered.claim(CHANNEL, message_id):
                continue  # a redelivery: taken already, maybe before a restart
            task = asyncio.create_task(self._answer(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            taken += 1
        return taken

    async def _answer(self, message: dict[str, Any]) -> None:
        phone = str(message.get("from", ""))
        try:
            if message.get("type") != "text":
                await self._send(phone, TEXT_ONLY)
                return
            text = str((message.get("text") or {}).get("body", ""))
            try:
                result = await self._relay.ask(CHANNEL, phone, text)
            except Exception as exc:
                if (said := polite(exc)) is None:
                    raise
                await self._send(phone, said)
                return
            for part in whatsapp_messages(result):
                await self._send(phone, part)
        except Exception:
            log.exception("WhatsApp message %s from %s failed", message.get("id"), phone)
            try:
                await self._send(phone, SORRY)
            except Exception:
                log.exception("Could not tell %s that the answer failed", phone)

    async def _send(self, phone: str, text: str) -> None:
        await self._client.send_message(to=phone, text=text)

    async def drain(self, timeout_s: float = 30) -> None:
        """Let answers in progress finish (shutdown), then close the HTTP session."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)
        await self._session.aclose()
