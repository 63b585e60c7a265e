"""`POST /chat`, its streaming twin `POST /chat/stream` (Server-Sent Events), and forgetting a
conversation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Response
from fastapi.responses import StreamingResponse

from app.errors import status_of
from app.metrics import Metrics
from app.routes.deps import ERRORS, AppMetrics, Client, Service, owner_of
from app.schemas import ChatRequest, ChatResponse
from app.service import ChatEvent, Delta
from core.errors import SuperSmartError

router = APIRouter(tags=["chat"])


@router.post("/chat", response_model=ChatResponse, responses=ERRORS)
async def chat(
    body: ChatRequest, service: Service, metrics: AppMetrics, client: Client
) -> ChatResponse:
    """Answer a question from the products in the store, citing them."""
    answer = await service.ask(body.message, body.conversation_id, owner=owner_of(client))
    metrics.observe(answer)
    return ChatResponse.of(answer)


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events `delta` ({text}: verified answer text, in order), then one "
            "`done` (the whole ChatResponse).",
        },
    },
)
async def chat_stream(
    body: ChatRequest, service: Service, metrics: AppMetrics, client: Client
) -> StreamingResponse:
    """The same answer as `/chat`, streamed as Server-Sent Events."""
    events = aiter(service.stream(body.message, body.conversation_id, owner=owner_of(client)))
    first = await anext(events)  # errors up to here (busy, bad input) are plain HTTP errors
    return StreamingResponse(
        _sse(first, events, metrics),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _sse(
    first: ChatEvent, rest: AsyncIterator[ChatEvent], metrics: Metrics
) -> AsyncIterator[str]:
    event: ChatEvent | None = first
    try:
        while event is not None:
            if isinstance(event, Delta):
                yield _event("delta", {"text": event.text})
            else:
                metrics.observe(event.answer)
                yield _event("done", ChatResponse.of(event.answer).model_dump(mode="json"))
            event = await anext(rest, None)
    except SuperSmartError as exc:  # the status line is sent: report in the stream
        _, kind = status_of(exc)
        yield _event("error", {"error": {"type": kind, "message": str(exc)}})


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.delete("/conversations/{conversation_id}", status_code=204, responses=ERRORS)
async def forget(conversation_id: str, service: Service, client: Client) -> Response:
    """Forget a conversation (its stored messages are deleted)."""
    await service.forget(conversation_id, owner=owner_of(client))
    return Response(status_code=204)
