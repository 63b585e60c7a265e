"""`supersmart bot telegram`: the Telegram bot, long polling (webhook mode runs in `serve`)."""

from __future__ import annotations

import typer

from cli.runtime import console, err_console, get_settings, user_errors
from core.logs import configure_logging

app = typer.Typer(help="Chat bots over the same chat service.", no_args_is_help=True)


@app.command("telegram")
def telegram(ctx: typer.Context) -> None:
    """Answer Telegram messages by long polling until Ctrl-C (no public URL needed)."""
    from bots.telegram import build_bot
    from finetune.registry import AdapterRegistry

    settings = get_settings(ctx)
    configure_logging(settings)
    with user_errors():
        if settings.bots.telegram_webhook_url:
            console.print(
                "SUPERSMART_BOTS__TELEGRAM_WEBHOOK_URL is set: webhook mode runs inside "
                "`supersmart serve` (POST /telegram/webhook). Unset it to poll instead."
            )
            raise typer.Exit(1)
        application = build_bot(settings, adapter=AdapterRegistry.of(settings).current)
    from telegram.error import InvalidToken

    from bots.telegram import TOKEN_REFUSED

    console.print("Telegram bot polling; Ctrl-C stops it.")
    # Messages sent while the bot was down are answered too: a late answer beats silence.
    try:
        application.run_polling(allowed_updates=["message"])
    except InvalidToken:  # its message quotes the token
        err_console.print(f"[bold red]Error:[/] {TOKEN_REFUSED}")
        raise typer.Exit(1) from None
