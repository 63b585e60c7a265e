"""The test shop's HTTP server (stdlib, one thread per request) and its admin endpoints.

GET  /<chain>/...                 the chain's API or pages (see sites.py)
GET  /robots.txt                  disallows /private/
GET  /_shop                       what is served, and the faults that can be injected
POST /_shop/faults                {"chain", "target" (product id | "listing"), "fault", "times"}
DELETE /_shop/faults              back to good behaviour
POST /_shop/prices                {"chain", "product_id", "price"}
"""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ingestion.testshop.sites import SITES, Site
from ingestion.testshop.state import FAULTS, ShopState

ROBOTS = "User-agent: *\nDisallow: /private/\n"


class TestShop:
    """`with TestShop() as shop: shop.url("dia")` serves the shop on 127.0.0.1 in a thread.

    Every chain is on the one host by default; `host_per_chain=True` also gives each chain its
    own host (its own port, as the real chains have their own sites), and `url(chain)` names it.
    Admin requests (`/_shop`) go to `port` either way.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        state: ShopState | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        host_per_chain: bool = False,
    ) -> None:
        self.state = state or ShopState()
        self.sites: dict[str, Site] = {site.chain: site(self.state) for site in SITES}
        self._server = self._serve(host, port, None)
        self._chain_servers = (
            {chain: self._serve(host, 0, chain) for chain in self.sites} if host_per_chain else {}
        )
        self._threads = [
            threading.Thread(target=server.serve_forever, daemon=True)
            for server in (self._server, *self._chain_servers.values())
        ]

    def _serve(self, host: str, port: int, chain: str | None) -> ThreadingHTTPServer:
        handler = type("Handler", (_Handler,), {"shop": self, "only_chain": chain})
        server = ThreadingHTTPServer((host, port), handler)
        server.daemon_threads = True
        return server

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, chain: str) -> str:
        server = self._chain_servers.get(chain, self._server)
        return f"http://127.0.0.1:{server.server_address[1]}/{chain}"

    def base_urls(self) -> dict[str, str]:
        return {chain: self.url(chain) for chain in self.sites}

    def start(self) -> TestShop:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in (self._server, *self._chain_servers.values()):
            server.shutdown()
            server.server_close()

    def __enter__(self) -> TestShop:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    shop: TestShop
    only_chain: str | None  # a chain's own host serves that chain only
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK (~40 ms on Linux), which would swamp the latency a test asks for.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read state instead
        return

    def do_GET(self) -> None:
        state = self.shop.state
        host = self.headers.get("Host", "")
        state.begin(urlsplit(self.path).path, self.headers.get("User-Agent", ""), host)
        try:
            self._get()
        finally:
            state.end(host)

    def _get(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        state = self.shop.state
        if parts.path == "/robots.txt":
            return self._send(200, "text/plain", ROBOTS)
        if parts.path == "/_shop":
            return self._send_json(
                200,
                {
                    "chains": {
                        c: {
                            "base_url": self.shop.url(c),
                            "products": [p.chain_product_id for p in state.shelf(c)],
                        }
                        for c in self.shop.sites
                    },
                    "faults": FAULTS,
                },
            )
        chain, _, rest = parts.path.lstrip("/").partition("/")
        site = self.shop.sites.get(chain) if self.only_chain in (None, chain) else None
        route = site.route(f"/{rest}", query) if site else None
        if route is None:
            return self._send(404, "text/plain", "Not found")
        if state.latency_s:
            time.sleep(state.latency_s)
        fault = state.fault_for(chain, route.target)
        if fault == "server_error":
            return self._send(500, "text/plain", "Internal Server Error")
        if fault == "rate_limit":
            return self._send(429, "text/plain", "Too Many Requests", {"Retry-After": "1"})
        if fault == "hang":
            time.sleep(state.hang_s)
        content_type, body = route.build(fault)
        if fault == "malformed_json":
            body = body[: len(body) // 2]
        self._send(200, content_type, body)

    def do_POST(self) -> None:
        payload = self._payload()
        state = self.shop.state
        try:
            if self.path == "/_shop/faults":
                state.set_fault(
                    payload["chain"], str(payload["target"]), payload["fault"], payload.get("times")
                )
            elif self.path == "/_shop/prices":
                state.set_price(
                    payload["chain"], str(payload["product_id"]), Decimal(str(payload["price"]))
                )
            else:
                return self._send(404, "text/plain", "Not found")
        except (KeyError, ValueError) as exc:
            return self._send_json(400, {"error": str(exc)})
        self._send_json(200, {"ok": True})

    def do_DELETE(self) -> None:
        if self.path != "/_shop/faults":
            return self._send(404, "text/plain", "Not found")
        self.shop.state.clear_faults()
        self._send_json(200, {"ok": True})

    def _payload(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def _send_json(self, status: int, data: Any) -> None:
        self._send(status, "application/json", json.dumps(data, ensure_ascii=False))

    def _send(
        self, status: int, content_type: str, body: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a 'hang' fault): nothing to answer
