"""What routes take from the app: the chat service, the metrics, the authenticated client."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from app.metrics import Metrics
from app.schemas import ErrorResponse
from chat.runtime import Runtime
from chat.service import ChatService


def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


def chat_service(request: Request) -> ChatService:
    return runtime(request).service


def metrics(request: Request) -> Metrics:
    value: Metrics = request.app.state.metrics
    return value


def client(request: Request) -> str:
    """Checks the API key and charges the rate limit; the client's identity."""
    identity: str = request.app.state.guard.check(request)
    return identity


def reader(request: Request) -> str:
    """Checks the API key only: reading or forgetting a conversation costs no model time, so
    it is not charged to the rate limit (a page reload must not use up a question)."""
    identity: str = request.app.state.guard.client(request)
    return identity


def owner_of(client: str) -> str:
    """Whose conversations these are: an API key's identity; nobody's when keys are off (a
    shopper's address changes too often to tie a conversation to it)."""
    return client if client.startswith("key:") else ""


Service = Annotated[ChatService, Depends(chat_service)]
AppMetrics = Annotated[Metrics, Depends(metrics)]
Client = Annotated[str, Depends(client)]
Reader = Annotated[str, Depends(reader)]

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {
        400: "The body cannot be read (not UTF-8).",
        401: "Missing or wrong API key.",
        408: "The body did not all arrive in time.",
        413: "Request body too large.",
        422: "Invalid request (empty or too long message, bad JSON).",
        429: "Rate limit reached; see Retry-After.",
        503: "Model busy (see Retry-After), or store/index not ready.",
    }.items()
}
