"""Bot fixtures: the sample catalogue (from the chat tests) and fake channel APIs on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import pytest

from chat.chat_model import ChatModel
from chat.runtime import Runtime, open_runtime
from core.settings import Settings
from tests.app.conftest import data_dir, sample_data_dir  # noqa: F401  (shared fixtures)
from tests.fakes.telegram_api import FakeBotApi


@asynccontextmanager
async def polling_bot(settings: Settings, model: ChatModel | None) -> AsyncIterator[Runtime]:
    """The Telegram bot long-polling `settings.bots.telegram_api_url` (a fake), as
    `supersmart bot telegram` runs it, until the block ends."""
    from bots.relay import ChatRelay
    from bots.telegram import build_bot

    runtime = await open_runtime(settings, model=model)
    application = build_bot(settings, ChatRelay(runtime.service, runtime.conversations, 30))
    try:
        async with application:
            await application.start()
            await application.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                yield runtime
            finally:  # a failed test too: a running application cannot be shut down
                await application.updater.stop()
                await application.stop()
    finally:
        await runtime.close()


async def until(condition: Callable[[], object], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "never got there"
        await asyncio.sleep(0.05)


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api
