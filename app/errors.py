"""The one place errors become HTTP responses, all in one shape:
`{"error": {"type": ..., "message": ...}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from core.errors import (
    AdminClosedError,
    AuthError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    InputError,
    MalformedRequestError,
    NotFoundError,
    RateLimitedError,
    RunInProgressError,
    ServiceBusyError,
    StoreUnavailableError,
    SuperSmartError,
)

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[SuperSmartError], int, str], ...] = (
    (AuthError, 401, "unauthorized"),
    (AdminClosedError, 403, "admin_closed"),
    (ForbiddenError, 403, "forbidden"),
    (RunInProgressError, 409, "run_in_progress"),
    (ConflictError, 409, "conflict"),
    (RateLimitedError, 429, "rate_limited"),
    (ServiceBusyError, 503, "busy"),
    (MalformedRequestError, 400, "invalid_request"),
    (InputError, 422, "invalid_request"),
    (NotFoundError, 404, "not_found"),
    (StoreUnavailableError, 503, "store_unavailable"),
    (ConfigurationError, 503, "not_configured"),
)


_HTTP_KINDS = {  # Starlette's and FastAPI's own errors: kind, and what to do next
    400: ("invalid_request", ": send the body as JSON in UTF-8."),
    404: ("not_found", ""),
    405: ("method_not_allowed", ""),
    408: ("timeout", ""),
    413: ("too_large", ""),
}


def error_response(
    status: int, kind: str, message: str, retry_after: int | None = None
) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(
        {"error": {"type": kind, "message": message}}, status_code=status, headers=headers
    )


def status_of(exc: SuperSmartError) -> tuple[int, str]:
    for cls, status, kind in _STATUS:
        if isinstance(exc, cls):
            return status, kind
    return 500, "internal_error"


def install(app: FastAPI) -> None:
    @app.exception_handler(SuperSmartError)
    async def _ours(request: Request, exc: SuperSmartError) -> JSONResponse:
        status, kind = status_of(exc)
        metrics = getattr(request.app.state, "metrics", None)
        if metrics is not None and status in (401, 429, 503):
            metrics.rejected.labels(kind).inc()
        retry = getattr(exc, "retry_after_s", None)
        return error_response(status, kind, str(exc), retry)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in exc.errors()
        )
        return error_response(422, "invalid_request", f"Invalid request: {problems}.")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        kind, hint = _HTTP_KINDS.get(exc.status_code, ("http_error", ""))
        response = error_response(exc.status_code, kind, f"{exc.detail}{hint}")
        response.headers.update(exc.headers or {})
        if exc.status_code == 405 and (allowed := _methods_at(request)):
            response.headers["Allow"] = ", ".join(allowed)  # not only the first route's
        if exc.status_code in (408, 413):  # the rest of the body is never read: end the line
            response.headers["Connection"] = "close"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return error_response(
            500, "internal_error", "Something went wrong on our side; it has been logged."
        )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_PROBE: dict[str, Any] = {"type": "http", "headers": [], "query_string": b""}


def _methods_at(request: Request) -> list[str]:
    """Every method the app serves at the request's path, for a 405's `Allow` (RFC 9110),
    asked of the routes with a fresh scope per method."""
    path, root_path = request.scope["path"], request.scope.get("root_path", "")
    allowed = []
    for method in _METHODS:
        probe = {**_PROBE, "method": method, "path": path, "root_path": root_path}
        routes = (r for r in request.app.router.routes if not isinstance(r, Mount))
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed
