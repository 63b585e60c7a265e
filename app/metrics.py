"""Prometheus metrics of one app instance (its own registry: several apps in one process, as
in tests, do not collide)."""

from __future__ import annotations

import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat.answer import ChatAnswer

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "supersmart_http_requests", "HTTP requests by route and status.",
            ["route", "status"], registry=self.registry,
        )  # fmt: skip
        self.answers = Counter(
            "supersmart_chat_answers", "Chat answers by grounding verdict.",
            ["verdict"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "supersmart_chat_seconds", "Whole chat answer time.",
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.first_text = Histogram(
            "supersmart_chat_first_text_seconds", "Time to the first verified text.",
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.tokens = Counter(
            "supersmart_model_tokens", "Tokens through the model.", ["kind"],
            registry=self.registry,
        )  # fmt: skip
        self.rejected = Counter(
            "supersmart_rejected_requests", "Requests refused (auth, rate, size, busy).",
            ["reason"], registry=self.registry,
        )  # fmt: skip
        self.queue = Gauge(
            "supersmart_model_queue", "Requests waiting for the model.", registry=self.registry
        )
        self.in_flight = Gauge(
            "supersmart_http_in_flight", "Requests being served now.", registry=self.registry
        )
        self.tasks = Gauge(
            "supersmart_asyncio_tasks", "Tasks alive in the event loop (a steady climb: a leak).",
            registry=self.registry,
        )  # fmt: skip
        # resident memory, open file descriptors, CPU time (Linux; nothing elsewhere)
        ProcessCollector(registry=self.registry)

    def observe(self, answer: ChatAnswer) -> None:
        self.answers.labels(answer.grounding.verdict).inc()
        self.latency.observe(answer.timings_ms["total"] / 1000)
        self.first_text.observe(answer.timings_ms["first_text"] / 1000)
        self.tokens.labels("prompt").inc(answer.usage.prompt_tokens)
        self.tokens.labels("completion").inc(answer.usage.completion_tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestCounting:
    """Counts every request by route and status, and says the app's time in `Server-Timing`.

    Plain ASGI: Starlette's `@app.middleware("http")` runs the app in a task group, which
    wraps an error met while reading the body (a body too large or too slow) in an exception
    group that FastAPI then reports as "400 error parsing the body"."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an error no handler answered

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                took = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={took:.1f}".encode()),
                ]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.metrics.in_flight.dec()
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(path, str(status)).inc()
