"""Requests per client and minute, for every door into the chat service (the HTTP API's keys,
the Telegram and WhatsApp users)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from core.errors import RateLimitedError


class RateLimiter:
    """Token bucket per client: `per_minute` requests, refilled continuously."""

    def __init__(self, per_minute: int, max_clients: int = 10_000) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_clients = max_clients

    def take(self, client: str, now: float | None = None) -> None:
        """Charge `client` one request, or raise `RateLimitedError` when it has none left."""
        if self._capacity == 0:
            return
        now = time.monotonic() if now is None else now
        tokens = self._level(client, now)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            self._refuse(tokens)
        self._buckets[client] = (tokens - 1, now)
        while len(self._buckets) > self._max_clients:  # bounded memory: forget the idlest
            self._buckets.popitem(last=False)

    def check(self, client: str, now: float | None = None) -> None:
        """Raise as `take` would, charging nothing: for doors that count only failures (the
        admin login), checked before the attempt is judged."""
        if self._capacity == 0:
            return
        tokens = self._level(client, time.monotonic() if now is None else now)
        if tokens < 1:
            self._refuse(tokens)

    def _level(self, client: str, now: float) -> float:
        tokens, last = self._buckets.pop(client, (self._capacity, now))
        self._buckets[client] = (tokens, last)  # most recently used last
        return min(self._capacity, tokens + (now - last) * self._rate)

    def _refuse(self, tokens: float) -> None:
        wait = math.ceil((1 - tokens) / self._rate)
        raise RateLimitedError(
            f"Too many requests: the limit is {int(self._capacity)} a minute. Retry in {wait} s.",
            retry_after_s=wait,
        )
