"""Being a good guest on supermarket sites: per-host concurrency cap and pacing, robots.txt,
and retries with backoff (honouring Retry-After) on 429, 5xx, time-outs and dropped connections.
Shared by the HTTP and the browser fetchers."""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from core.settings import ScrapeSettings
from ingestion.scrapers.base import FetchFailed

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class Retry(Exception):
    """Raised by an attempt that may succeed if tried again (after `wait` seconds if given)."""

    reason: str
    wait: float | None = None


class HostGate:
    """At most `concurrency` requests in flight per host, `delay_s` apart."""

    def __init__(self, settings: ScrapeSettings, sleep: Sleep = asyncio.sleep) -> None:
        self._settings = settings
        self._sleep = sleep
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._pace_lock: dict[str, asyncio.Lock] = {}

    def slot(self, host: str) -> asyncio.Semaphore:
        return self._slots.setdefault(host, asyncio.Semaphore(self._settings.concurrency))

    async def pace(self, host: str) -> None:
        async with self._pace_lock.setdefault(host, asyncio.Lock()):
            wait = self._next_start.get(host, 0.0) - time.monotonic()
            if wait > 0:
                await self._sleep(wait)
            self._next_start[host] = time.monotonic() + self._settings.delay_s


class RobotsPolicy:
    """robots.txt per host, read once; a missing or unreadable file allows everything."""

    def __init__(self, settings: ScrapeSettings, read: Callable[[str], Awaitable[str | None]]):
        self._settings = settings
        self._read = read
        self._parsers: dict[str, RobotFileParser | None] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # per site: chains read theirs side by side

    async def check(self, url: str) -> None:
        if not self._settings.respect_robots:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._locks.setdefault(origin, asyncio.Lock()):
            if origin not in self._parsers:
                text = await self._read(f"{origin}/robots.txt")
                parser = None
                if text is not None:
                    parser = RobotFileParser()
                    parser.parse(text.splitlines())
                self._parsers[origin] = parser
        parser = self._parsers[origin]
        if parser is not None and not parser.can_fetch(self._settings.user_agent, url):
            raise FetchFailed(
                url,
                "robots_disallowed",
                f"{origin}/robots.txt does not allow {parts.path}. Set "
                "SUPERSMART_SCRAPE__RESPECT_ROBOTS=false only with the site's permission.",
            )


async def with_retries(
    url: str,
    attempt: Callable[[], Awaitable[T]],
    settings: ScrapeSettings,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run `attempt` until it returns; a `Retry` waits (backoff or Retry-After) and tries again."""
    for number in range(settings.retries + 1):
        try:
            return await attempt()
        except Retry as retry:
            if number == settings.retries:
                raise FetchFailed(
                    url,
                    retry.reason,
                    f"{url} failed {settings.retries + 1} times ({retry.reason}); giving up.",
                ) from None
            backoff = settings.backoff_s * 2**number * (1 + random.random() / 4)
            await sleep(min(retry.wait if retry.wait is not None else backoff, settings.max_wait_s))
    raise AssertionError("unreachable")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: '3' or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
