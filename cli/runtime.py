"""What every command shares: loading settings once, opening the store, reporting errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console

from core.errors import SuperSmartError
from core.logs import masking_filter
from core.settings import Settings, load_settings
from storage.base import ProductStore
from storage.factory import create_store

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def get_settings(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    if not isinstance(settings, Settings):  # called outside the main callback (tests)
        settings = load_settings()
        ctx.find_root().obj = settings
    return settings


@contextmanager
def user_errors() -> Iterator[None]:
    """Our errors end the command with their message and exit status 1 (no traceback)."""
    try:
        yield
    except SuperSmartError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from None


def show_logs(settings: Settings, *names: str) -> None:
    """Print these packages' INFO messages (a job's decisions: the training dtype and why, a
    resumed checkpoint) on the console, once however often it is called."""
    from rich.logging import RichHandler

    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        if not any(isinstance(h, RichHandler) for h in logger.handlers):
            handler = RichHandler(console=console, show_time=False, show_path=False)
            handler.addFilter(masking_filter(settings))
            logger.addHandler(handler)
        logger.propagate = False


def run_with_store(settings: Settings, job: Callable[[ProductStore], Awaitable[T]]) -> T:
    """Open the configured store, run `job`, close it; user errors exit 1 with their message."""

    async def main() -> T:
        store = create_store(settings)
        await store.initialize()
        try:
            return await job(store)
        finally:
            await store.close()

    try:
        with user_errors():
            return asyncio.run(main())
    except KeyboardInterrupt:
        err_console.print(
            "[yellow]Stopped.[/] What was stored so far is kept and the run is recorded as "
            "'aborted'; run the same command again to finish it."
        )
        raise typer.Exit(130) from None
