"""How `supersmart serve` runs the app under uvicorn, with the limits a server on a network
needs and uvicorn lacks by default.

uvicorn waits for a request's headers forever: a client that opens a connection and sends half
a request line (or nothing) holds a socket and a file descriptor until it goes away, so a few
thousand of them exhaust the process (probed: 3,000 half-open sockets, all still held after
60 s). `DeadlineH11Protocol` closes a connection whose headers have not all arrived within
`api.header_timeout_s` (from the connection, or on a kept-alive one from the first byte of
its next request; idle time between requests is uvicorn's keep-alive). A body that has not
all arrived `api.body_timeout_s` after it began is `app.limits.BodyLimit`'s (408).
`api.max_connections` caps the connections served at once: over it, requests get 503.

On the open internet, put a reverse proxy in front as well (nginx, Caddy, a cloud load
balancer): TLS, per-address connection limits and request buffering belong there. Name it in
`api.trusted_proxies`, or every client has the proxy's address for the rate limits and the
admin login's throttle. Only those addresses' `X-Forwarded-For` is believed: uvicorn's own
default believes any local process (and `FORWARDED_ALLOW_IPS` from the environment), which
lets one client pose as many and walk past both limits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from core.settings import Settings


class DeadlineH11Protocol(H11Protocol):
    header_timeout_s = 10.0  # set per server by `server_options`

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._await_headers()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:  # a request's headers are in: its cycle has started
            self._cancel_deadline()

    def data_received(self, data: bytes) -> None:
        # the first byte of a kept-alive connection's next request starts its deadline; the
        # idle time before it is uvicorn's keep-alive (`api.keep_alive_s`)
        if self._deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._await_headers()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_late)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.Config's keyword arguments for this service (besides app, host and port)."""
    api = settings.api
    protocol = type(
        "DeadlineH11Protocol", (DeadlineH11Protocol,), {"header_timeout_s": api.header_timeout_s}
    )
    return {
        "http": protocol,
        "proxy_headers": bool(api.trusted_proxies),
        "forwarded_allow_ips": ",".join(api.trusted_proxies),
        "limit_concurrency": api.max_connections,
        "timeout_keep_alive": api.keep_alive_s,
    }
