"""Request body limits as plain ASGI middleware: a body over the size limit is refused with 413
before it is read into memory (declared Content-Length) or as soon as it grows past it; a body
that has not all arrived `timeout_s` after it began gets 408 (a slow client must not hold a
request open, not even one byte at a time)."""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float = 15.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, 413, "too_large", self._too_large())
            return
        received = 0
        body_done = False
        started = False
        deadline: float | None = None  # the whole body, not each chunk: a drip cannot last

        async def limited_receive() -> Message:
            nonlocal received, body_done, deadline
            if body_done:  # later reads wait for a disconnect, as long as a response streams
                return await receive()
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.timeout_s
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise _TooSlow(self.timeout_s) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self._too_large())
                body_done = not message.get("more_body", False)
            else:
                body_done = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, 413, "too_large", self._too_large())
        except _TooSlow as exc:
            if not started:
                await self._refuse(send, 408, "timeout", str(exc.detail))

    def _too_large(self) -> str:
        return f"The request body is over {self.max_bytes} bytes: send a shorter message."

    async def _refuse(self, send: Send, status: int, kind: str, message: str) -> None:
        body = json.dumps({"error": {"type": kind, "message": message}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


# HTTP exceptions, so that FastAPI, which turns any other error met while reading a body into
# "400 There was an error parsing the body", lets them through to the app's error handler.
class _TooLarge(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(413, message)


class _TooSlow(HTTPException):
    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            408, f"The request body stopped arriving for {timeout_s:g} s: send it whole."
        )
