"""What one API process holds: the store, conversations, retriever, model and chat service.

Built in the FastAPI lifespan (never at import) by `open_runtime`, closed on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chat.chat_model import ChatModel
from chat.gate import ModelGate
from chat.service import ChatService
from core.domain import Clock, utcnow
from core.errors import NotFoundError
from core.settings import Settings
from retrieval.embedder import Embedder, create_embedder
from retrieval.retriever import Retriever
from storage.base import ProductStore
from storage.conversations import ConversationStore, create_conversation_store
from storage.factory import create_store

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: ProductStore
    conversations: ConversationStore
    retriever: Retriever
    gate: ModelGate | None
    service: ChatService

    async def close(self) -> None:
        if self.gate is not None:
            await asyncio.to_thread(self.gate.close)
        await self.conversations.close()
        await self.store.close()


# Which adapter file is in service, asked before each answer (a promotion or rollback takes
# effect without a restart). The adapter registry (`finetune.registry`) provides it; the
# composition roots (the app, the CLI) pass it in, so the chat library never imports training.
AdapterSource = Callable[[], Path | None]


def create_chat_model(settings: Settings, adapter: AdapterSource | None = None) -> ChatModel | None:
    """The configured model, loaded (None in data-only mode); with `adapter`, the adapter in
    service on top (unless `model.use_adapter` is off)."""
    if settings.model.backend == "data-only":
        return None
    from chat.llama_model import LlamaCppChatModel

    if not settings.model.use_adapter or adapter is None:
        return LlamaCppChatModel(settings)
    return LlamaCppChatModel(settings, adapter=adapter)


def _warm(retriever: Retriever) -> None:
    """Load the index, its catalogue name words (the grounding's) and the embedder now, not on
    the first shopper's question."""
    try:
        retriever.index().name_words  # noqa: B018 (computed once per index version, cached)
        retriever.warm()
    except NotFoundError as exc:
        log.warning("%s (the service answers once an index exists)", exc)


async def open_runtime(
    settings: Settings,
    model: ChatModel | None = None,
    embedder: Embedder | None = None,
    clock: Clock = utcnow,
    adapter: AdapterSource | None = None,
) -> Runtime:
    """Open everything; `model`/`embedder`/`clock` replace the configured ones (tests,
    benchmarks); `adapter` says which adapter the configured model answers with."""
    store = create_store(settings)
    await store.initialize()
    conversations = create_conversation_store(settings)
    try:
        await conversations.initialize()
        embedder = embedder or create_embedder(settings.retrieval)
        retriever = Retriever(settings.index_path, embedder, settings.retrieval, store)
        if model is None:
            model = await asyncio.to_thread(create_chat_model, settings, adapter)
        gate = (
            ModelGate(
                model,
                settings.model.queue_size,
                settings.model.queue_timeout_s,
                max_retry_after_s=math.floor(settings.api.keep_alive_s) - 1,
            )
            if model is not None
            else None
        )
    except BaseException:
        await conversations.close()
        await store.close()
        raise
    await asyncio.to_thread(_warm, retriever)
    service = ChatService(
        retriever, store, conversations, gate, settings.chat, settings.model.max_tokens, clock
    )
    log.info("Chat service ready: model %s", service.model_name)
    return Runtime(settings, store, conversations, retriever, gate, service)
