"""OpenAI-compatible `POST /v1/chat/completions` (with `stream`) and `GET /v1/models`, so
existing clients (the `openai` package, chat front-ends) talk to SuperSmart unchanged.

The client keeps the conversation (it sends it each time); nothing is stored. The grounded
answer and its cited products also come in an extra `supersmart` field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.metrics import Metrics
from app.routes.deps import ERRORS, AppMetrics, Client, Service
from app.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    ChatResponse,
    ModelCard,
    ModelList,
    event_stream,
)
from chat.answer import ChatEvent, Delta, Done
from chat.chat_model import Message

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {status: ERRORS[status] for status in (401, 429)}
_STREAM = event_stream(
    "A `chat.completion` (application/json); with `stream: true`, Server-Sent Events (unnamed: "
    "`message`) whose data is a `chat.completion.chunk`, the last of them with `supersmart`, "
    "then `[DONE]`.",
    ["message"],
)


@router.get("/models", response_model=ModelList, responses=_AUTH_ERRORS)
async def models(service: Service, _: Client) -> ModelList:
    """The one model this service answers with."""
    card = ModelCard(id=service.model_name, object="model", owned_by="supersmart")
    return ModelList(object="list", data=[card])


@router.post("/chat/completions", response_model=ChatCompletion, responses={**ERRORS, 200: _STREAM})
async def completions(
    body: ChatCompletionRequest, service: Service, metrics: AppMetrics, _: Client
) -> ChatCompletion | StreamingResponse:
    """Chat completion in OpenAI's format; `stream: true` sends `chat.completion.chunk`s."""
    *history, question = [
        Message("user" if m.role == "user" else "assistant", m.text) for m in body.turns()
    ]
    events = aiter(service.stream(question.content, history=history))
    first = await anext(events)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if body.stream:
        meta = {"id": completion_id, "created": created}
        return StreamingResponse(
            _chunks(first, events, meta, service.model_name, metrics),
            media_type="text/event-stream",
        )
    done = first
    while not isinstance(done, Done):
        done = await anext(events)
    metrics.observe(done.answer)
    return ChatCompletion.of(done.answer, completion_id, created)


async def _chunks(
    first: ChatEvent,
    rest: AsyncIterator[ChatEvent],
    meta: dict[str, Any],
    model: str,
    metrics: Metrics,
) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            **meta,
            "object": "chat.completion.chunk",
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    event: ChatEvent | None = first
    while event is not None:
        if isinstance(event, Delta):
            yield chunk({"content": event.text})
        else:
            metrics.observe(event.answer)
            extra = ChatResponse.of(event.answer).model_dump(mode="json", exclude={"answer"})
            yield chunk({}, "stop", supersmart=extra)
        event = await anext(rest, None)
    yield "data: [DONE]\n\n"
