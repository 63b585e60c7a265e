"""The bots' webhook routes on the API, and their start and stop in its lifespan.

- `POST /telegram/webhook` (when `SUPERSMART_BOTS__TELEGRAM_WEBHOOK_URL` is set): Telegram's
  `X-Telegram-Bot-Api-Secret-Token` must match, compared in constant time; the update is queued
  for python-telegram-bot and the route returns at once.
- `GET /whatsapp/webhook`: Meta's verification handshake (`hub.verify_token`).
- `POST /whatsapp/webhook`: `X-Hub-Signature-256` must be the body's HMAC with the app secret
  (constant time); a wrong or missing signature is rejected and nothing is processed.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from bots.relay import ChatRelay
from core.errors import (
    AuthError,
    ConfigurationError,
    ForbiddenError,
    MalformedRequestError,
    NotFoundError,
)
from core.settings import Settings
from storage.deliveries import create_delivery_log

log = logging.getLogger(__name__)
router = APIRouter(tags=["bots"])


@dataclass
class Bots:
    telegram: Any = None  # the python-telegram-bot Application, webhook mode
    telegram_secret: str = ""
    whatsapp: Any = None  # WhatsAppChannel
    delivered: Any = None  # its DeliveryLog
    started: list[str] = field(default_factory=list)

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
            await self.telegram.shutdown()
        if self.whatsapp is not None:
            await self.whatsapp.drain()
        if self.delivered is not None:
            await self.delivered.close()


async def start_bots(settings: Settings, runtime: Any) -> Bots:
    """The channels configured in `settings`, sharing the API's chat service."""
    bots = Bots()
    config = settings.bots
    relay = ChatRelay(runtime.service, runtime.conversations, config.messages_per_minute)
    if config.whatsapp_token is not None:
        from bots.whatsapp import WhatsAppChannel

        delivered = create_delivery_log(settings)
        bots.whatsapp = WhatsAppChannel(settings, relay, delivered)  # checks the settings
        await delivered.initialize()
        bots.delivered = delivered
        bots.started.append("whatsapp")
    if config.telegram_webhook_url:
        if config.telegram_secret_token is None:
            raise ConfigurationError(
                "Telegram webhook mode needs SUPERSMART_BOTS__TELEGRAM_SECRET_TOKEN (any long "
                "random string): without it anyone could post fake updates."
            )
        from telegram.error import InvalidToken

        from bots.telegram import TOKEN_REFUSED, build_bot

        application = build_bot(settings, relay)
        try:
            await application.initialize()
        except InvalidToken:
            raise ConfigurationError(TOKEN_REFUSED) from None
        await application.start()
        bots.telegram_secret = config.telegram_secret_token.get_secret_value()
        await application.bot.set_webhook(
            config.telegram_webhook_url,
            secret_token=bots.telegram_secret,
            allowed_updates=["message"],
        )
        bots.telegram = application
        bots.started.append("telegram (webhook)")
    return bots


def _bots(request: Request) -> Bots:
    value: Bots = request.app.state.bots
    return value


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_update(request: Request) -> Response:
    bots = _bots(request)
    if bots.telegram is None:
        raise NotFoundError("Telegram webhook mode is not configured.")
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not hmac.compare_digest(given.encode(), bots.telegram_secret.encode()):
        log.warning("Telegram webhook post with a wrong secret token from %s", request.client)
        raise AuthError("Wrong or missing secret token.")
    from telegram import Update

    update = Update.de_json(await request.json(), bots.telegram.bot)
    await bots.telegram.update_queue.put(update)
    return JSONResponse({"ok": True})


@router.get("/whatsapp/webhook", include_in_schema=False)
async def whatsapp_handshake(
    request: Request,
    mode: str = Query("", alias="hub.mode"),
    token: str = Query("", alias="hub.verify_token"),
    challenge: str = Query("", alias="hub.challenge"),
) -> Response:
    channel = _bots(request).whatsapp
    if channel is None:
        raise NotFoundError("WhatsApp is not configured.")
    if mode == "subscribe" and hmac.compare_digest(token.encode(), channel.verify_token.encode()):
        return PlainTextResponse(challenge)
    raise ForbiddenError("Wrong verify token.")


@router.post("/whatsapp/webhook", include_in_schema=False)
async def whatsapp_update(request: Request) -> Response:
    from pywa.utils import webhook_updates_validator

    channel = _bots(request).whatsapp
    if channel is None:
        raise NotFoundError("WhatsApp is not configured.")
    body = await request.body()
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature or not webhook_updates_validator(channel.app_secret, body, signature):
        log.warning("WhatsApp webhook post with a wrong signature from %s", request.client)
        raise AuthError("Wrong or missing X-Hub-Signature-256.")
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedRequestError("The body is not JSON.") from exc
    await channel.take(payload)  # answered in the background: Meta wants its 200 quickly
    return JSONResponse({"ok": True})
