"""Telegram (`python-telegram-bot` 22): a thin adapter over `ChatRelay`.

`supersmart bot telegram` polls Telegram; with `SUPERSMART_BOTS__TELEGRAM_WEBHOOK_URL` set,
the API's `POST /telegram/webhook` receives updates instead (see `bots/webhooks.py`), checking
Telegram's secret token. Commands: /start, /help, /reset, /cadena <cadena>.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from bots.format import telegram_messages
from bots.relay import CHAINS, SORRY, ChatRelay, polite
from core.errors import ConfigurationError
from core.settings import Settings

if TYPE_CHECKING:
    from chat.runtime import AdapterSource

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WELCOME = (
    "¡Hola! Soy SuperSmart: te digo precios, dónde está más barato y qué alérgenos declara "
    "cada producto, con datos de {chains}, citando cada producto y la fecha de su precio.\n\n"
    "Prueba:\n"
    "• ¿Dónde está más barato el aceite de oliva virgen extra?\n"
    "• ¿Qué galletas sin gluten hay por menos de 2 €?\n"
    "• ¿Ha subido la leche este mes?\n\n"
    "/cadena dia: pregunta solo por una cadena (/cadena todas para quitarla)\n"
    "/reset: olvida la conversación\n/help: esta ayuda"
)

# Telegram's own error quotes the token; this says what to check instead
TOKEN_REFUSED = (
    "Telegram refused the bot token: check SUPERSMART_BOTS__TELEGRAM_TOKEN (the token "
    "@BotFather gave, or /revoke there and set the new one) and SUPERSMART_BOTS__TELEGRAM_API_URL."
)


def _token(settings: Settings) -> str:
    token = settings.bots.telegram_token
    if token is None or not token.get_secret_value().strip():
        raise ConfigurationError(
            "No Telegram bot token: create a bot with @BotFather in Telegram and set "
            "SUPERSMART_BOTS__TELEGRAM_TOKEN to the token it gives you."
        )
    return token.get_secret_value().strip()


def build_bot(
    settings: Settings,
    relay: ChatRelay | None = None,
    adapter: AdapterSource | None = None,
) -> Any:
    """The Application with its handlers; without `relay`, `run_polling()` opens the chat
    runtime when it starts, with `adapter` in service (and closes it when it stops)."""
    from telegram import Update
    from telegram.ext import (
        AIORateLimiter,
        ApplicationBuilder,
        CommandHandler,
        MessageHandler,
        filters,
    )

    runtime: list[Any] = []

    async def started(application: Any) -> None:  # run_polling() only
        if "relay" not in application.bot_data:
            from chat.runtime import open_runtime

            opened = await open_runtime(settings, adapter=adapter)
            runtime.append(opened)
            application.bot_data["relay"] = ChatRelay(
                opened.service, opened.conversations, settings.bots.messages_per_minute
            )

    async def stopped(application: Any) -> None:
        for opened in runtime:
            await opened.close()

    async def start(update: Update, context: Any) -> None:
        chains = ", ".join(CHAINS.values())
        await _reply(update, WELCOME.format(chains=chains))

    async def reset(update: Update, context: Any) -> None:
        user = str(update.effective_chat.id)  # type: ignore[union-attr]
        forgot = await context.bot_data["relay"].reset(CHANNEL, user)
        await _reply(update, "Hecho: empezamos de cero." if forgot else "No había nada que borrar.")

    async def chain(update: Update, context: Any) -> None:
        relay_: ChatRelay = context.bot_data["relay"]
        user = str(update.effective_chat.id)  # type: ignore[union-attr]
        if not context.args:
            current = await relay_.chain(CHANNEL, user)
            await _reply(update, f"Cadena preferida: {current or 'todas'}. Cambia con /cadena dia.")
            return
        try:
            chosen = await relay_.set_chain(CHANNEL, user, " ".join(context.args))
        except ValueError as exc:
            await _reply(update, str(exc))
            return
        await _reply(update, f"Ahora busco en {chosen}." if chosen else "Ahora busco en todas.")

    async def answer(update: Update, context: Any) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        relay_: ChatRelay = context.bot_data["relay"]
        user = str(update.effective_chat.id)  # type: ignore[union-attr]
        try:
            async with _typing(update):
                result = await relay_.ask(CHANNEL, user, message.text)
        except Exception as exc:
            if (said := polite(exc)) is None:
                raise
            await _reply(update, said)
            return
        for text in telegram_messages(result):
            await message.reply_text(text, parse_mode="MarkdownV2", disable_web_page_preview=True)

    async def on_error(update: object, context: Any) -> None:
        log.error("Telegram update failed: %s", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, SORRY)

    application = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(settings.bots.telegram_api_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(True)  # users in parallel; one user's messages stay in order
        .post_init(started)
        .post_shutdown(stopped)
        .build()
    )
    application.add_handler(CommandHandler(["start", "help"], start))
    application.add_handler(CommandHandler("reset", reset))
    application.add_handler(CommandHandler("cadena", chain))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, answer))
    application.add_error_handler(on_error)
    if relay is not None:
        application.bot_data["relay"] = relay
    return application


async def _reply(update: Any, text: str) -> None:
    await update.effective_message.reply_text(text)


@contextlib.asynccontextmanager
async def _typing(update: Any) -> AsyncIterator[None]:
    """ "escribiendo..." in the chat until the answer is ready (Telegram shows it ~5 s)."""
    from telegram.constants import ChatAction

    async def keep() -> None:
        while True:
            with contextlib.suppress(Exception):  # a lost typing hint must not lose the answer
                await update.effective_chat.send_action(ChatAction.TYPING)
            await asyncio.sleep(4)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
