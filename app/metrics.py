"""Prometheus metrics of one app instance (its own registry: several apps in one process, as
in tests, do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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

    def observe(self, answer: ChatAnswer) -> None:
        self.answers.labels(answer.grounding.verdict).inc()
        self.latency.observe(answer.timings_ms["total"] / 1000)
        self.first_text.observe(answer.timings_ms["first_text"] / 1000)
        self.tokens.labels("prompt").inc(answer.usage.prompt_tokens)
        self.tokens.labels("completion").inc(answer.usage.completion_tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)
