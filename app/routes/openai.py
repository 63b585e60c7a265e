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
from fastapi.responses import JSONResponse, StreamingResponse

from app.metrics import Metrics
from app.routes.deps import ERRORS, AppMetrics, Client, Service
from app.schemas import ChatCompletionRequest, ChatResponse
from chat.answer import ChatEvent, Delta, Done
from chat.chat_model import Message
from core.errors import InputError

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


@router.get("/models")
async def models(service: Service, _: Client) -> dict[str, Any]:
    """The one model this service answers with."""
    return {
        "object": "list",
        "data": [{"id": service.model_name, "object": "model", "owned_by": "supersmart"}],
    }


@router.post("/chat/completions", responses=ERRORS)
async def completions(
    body: ChatCompletionRequest, service: Service, metrics: AppMetrics, _: Client
) -> Any:
    """Chat completion in OpenAI's format; `stream: true` sends `chat.completion.chunk`s."""
    question, history = _split(body)
    events = aiter(service.stream(question, history=history))
    first = await anext(events)
    meta = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
    if body.stream:
        return StreamingResponse(
            _chunks(first, events, meta, service.model_name, metrics),
            media_type="text/event-stream",
        )
    done = first
    while not isinstance(done, Done):
        done = await anext(events)
    metrics.observe(done.answer)
    extra = ChatResponse.of(done.answer)
    return JSONResponse(
        {
            **meta,
            "object": "chat.completion",
            "model": extra.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": extra.answer},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": extra.usage.prompt_tokens,
                "completion_tokens": extra.usage.completion_tokens,
                "total_tokens": extra.usage.prompt_tokens + extra.usage.completion_tokens,
            },
            "supersmart": extra.model_dump(mode="json", exclude={"answer"}),
        }
    )


def _split(body: ChatCompletionRequest) -> tuple[str, list[Message]]:
    turns = [m for m in body.messages if m.role in ("user", "assistant") and m.text]
    if not turns or turns[-1].role != "user":
        raise InputError("The last message must come from the user: it is the question.")
    history = [Message("user" if m.role == "user" else "assistant", m.text) for m in turns]
    return history[-1].content, history[:-1]


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
