"""`POST /chat`, its streaming twin `POST /chat/stream` (Server-Sent Events), and reading or
forgetting a stored conversation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.responses import StreamingResponse

from app.errors import status_of
from app.metrics import Metrics
from app.routes.deps import ERRORS, AppMetrics, Client, Reader, Service, owner_of
from app.schemas import (
    CONVERSATION_ID,
    ChatRequest,
    ChatResponse,
    ConversationResponse,
    ErrorResponse,
    event_stream,
)
from chat.answer import ChatEvent, Delta
from core.errors import NotFoundError, SuperSmartError

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
        200: event_stream(
            "Events `delta` ({text}: verified answer text, in order), then one `done` (the "
            "whole ChatResponse), or `error` ({error: {type, message}}) if the answer fails "
            "after the first event.",
            ["delta", "done", "error"],
        ),
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


ConversationId = Annotated[str, Path(pattern=CONVERSATION_ID)]
# Reading and forgetting are not charged to the rate limit and send no body.
_CONVERSATION_ERRORS: dict[int | str, dict[str, Any]] = {
    status: ERRORS[status] for status in (401, 422, 503)
}


@router.get(
    "/conversations/{conversation_id}",
    response_model=ConversationResponse,
    responses={
        **_CONVERSATION_ERRORS,
        404: {"model": ErrorResponse, "description": "No such conversation."},
    },
)
async def conversation(
    conversation_id: ConversationId, service: Service, client: Reader
) -> ConversationResponse:
    """The stored messages of a conversation (the chat page shows them again after a reload)."""
    turns = await service.conversation(conversation_id, owner=owner_of(client))
    if not turns:
        raise NotFoundError(
            f"No conversation {conversation_id!r} is stored (it was forgotten, or belongs to "
            "another API key): start a new one by omitting conversation_id."
        )
    return ConversationResponse.of(conversation_id, turns)


@router.delete("/conversations/{conversation_id}", status_code=204, responses=_CONVERSATION_ERRORS)
async def forget(conversation_id: ConversationId, service: Service, client: Reader) -> Response:
    """Forget a conversation (its stored messages are deleted)."""
    await service.forget(conversation_id, owner=owner_of(client))
    return Response(status_code=204)
