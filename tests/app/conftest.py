"""Chat-service fixtures: the sample catalogue imported and indexed once per session (hash
embedder), copied per test; the app served by a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api import create_app
from app.server import server_options
from chat.chat_model import ChatModel
from core.settings import Settings
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from ingestion.sample import SAMPLE_CATALOGUE
from retrieval.build import build_index
from retrieval.embedder import create_embedder
from storage.factory import create_store
from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.server import LoopbackServer


def chat_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "retrieval": {"embedder": "hash"},
        "datalake": {"enabled": False},
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample catalogue in a store with its index, built once."""
    data_dir = tmp_path_factory.mktemp("sample") / "data"
    settings = chat_settings(data_dir)

    async def build() -> None:
        store = create_store(settings)
        await store.initialize()
        try:
            importer = FileImport(store, None, settings.imports)
            await importer.run(get_reader("jsonl"), SAMPLE_CATALOGUE, ReadContext())
            await build_index(store, settings, create_embedder(settings.retrieval))
        finally:
            await store.close()

    asyncio.run(build())
    return data_dir


@pytest.fixture
def data_dir(sample_data_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(sample_data_dir, copy)
    return copy


class LiveServer(LoopbackServer):
    """The app on a free loopback port, in a thread, for as long as the `with` lasts."""

    def __init__(self, settings: Settings, model: ChatModel | None, **parts: Any) -> None:
        self.app = create_app(settings, model=model, **parts)
        super().__init__(self.app, **server_options(settings))  # as `supersmart serve` runs it


@contextmanager
def serve(settings: Settings, model: ChatModel | None) -> Iterator[LiveServer]:
    with LiveServer(settings, model) as server:
        yield server


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel()


@pytest.fixture
def server(data_dir: Path, model: ScriptedChatModel) -> Iterator[LiveServer]:
    with serve(chat_settings(data_dir), model) as live:
        yield live


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http
