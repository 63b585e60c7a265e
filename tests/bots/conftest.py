"""Bot fixtures: the sample catalogue (from the chat tests) and fake channel APIs on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app.conftest import data_dir, sample_data_dir  # noqa: F401  (shared fixtures)
from tests.fakes.telegram_api import FakeBotApi


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api
