"""The two ways scrapers reach a site: plain HTTP (httpx) for JSON APIs and server-rendered
HTML, and a real browser (Playwright driving Debian's Chromium) for pages built by JavaScript.
Both are polite (see `ingestion.politeness`) and count what they did."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from core.errors import ConfigurationError
from core.settings import ScrapeSettings
from ingestion.politeness import HostGate, Retry, RobotsPolicy, Sleep, retry_after, with_retries
from ingestion.scrapers.base import FetchFailed, SiteChanged
from ingestion.scrapers.payload import excerpt

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class FetchStats:
    requests: int = 0
    retries: int = 0


def parse_json(url: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SiteChanged(
            "malformed_json",
            f"{url} did not return valid JSON: {exc}.",
            expected="JSON",
            excerpt=excerpt(text),
        ) from None


class HttpFetcher:
    """httpx with politeness. One instance per run; close it with `aclose()`."""

    def __init__(
        self,
        settings: ScrapeSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Language": "es-ES,es;q=0.9"},
            timeout=settings.timeout_s,
            follow_redirects=True,
            transport=transport,
        )
        self._gate = HostGate(settings, sleep)
        self._robots = RobotsPolicy(settings, self._robots_txt)
        self.stats = FetchStats()

    async def json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return parse_json(url, await self.text(url, params))

    async def text(self, url: str, params: dict[str, Any] | None = None) -> str:
        await self._robots.check(url)
        host = urlsplit(url).netloc
        async with self._gate.slot(host):
            return await with_retries(
                url, lambda: self._attempt(host, url, params), self._settings, self._sleep
            )

    async def _attempt(self, host: str, url: str, params: dict[str, Any] | None) -> str:
        await self._gate.pace(host)
        self.stats.requests += 1
        try:
            response = await self._client.get(url, params=params)
        except httpx.TimeoutException:
            self.stats.retries += 1
            raise Retry("timeout") from None
        except httpx.TransportError:
            self.stats.retries += 1
            raise Retry("connection_error") from None
        if response.status_code == 429 or response.status_code >= 500:
            self.stats.retries += 1
            raise Retry(
                f"http_{response.status_code}", retry_after(response.headers.get("Retry-After"))
            )
        if response.status_code >= 400:
            raise FetchFailed(
                url, f"http_{response.status_code}", f"{url} answered {response.status_code}."
            )
        return response.text

    async def _robots_txt(self, url: str) -> str | None:
        try:
            response = await self._client.get(url)
        except httpx.HTTPError:
            return None
        return response.text if response.status_code == 200 else None

    async def aclose(self) -> None:
        await self._client.aclose()


class BrowserFetcher:
    """Rendered pages through Playwright and Debian's Chromium, pages reused across requests."""

    def __init__(self, settings: ScrapeSettings, http: HttpFetcher, sleep: Sleep = asyncio.sleep):
        self._settings = settings
        self._http = http  # for JSON and robots.txt
        self._sleep = sleep
        self._gate = http._gate  # one cap per host, whichever fetcher a chain uses
        self._robots = RobotsPolicy(settings, http._robots_txt)
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._pages: asyncio.Queue[Any] = asyncio.Queue()
        self._open_pages = 0
        self._start_lock = asyncio.Lock()
        self.stats = FetchStats()

    async def json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return await self._http.json(url, params)

    async def text(self, url: str, params: dict[str, Any] | None = None) -> str:
        full = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}" if params else url
        await self._robots.check(full)
        host = urlsplit(full).netloc
        async with self._gate.slot(host):
            page = await self._page()
            try:
                return await with_retries(
                    full, lambda: self._attempt(page, host, full), self._settings, self._sleep
                )
            finally:
                self._pages.put_nowait(page)

    async def _attempt(self, page: Any, host: str, url: str) -> str:
        from playwright.async_api import Error as PlaywrightError

        await self._gate.pace(host)
        self.stats.requests += 1
        try:
            response = await page.goto(
                url, wait_until="domcontentloaded", timeout=self._settings.timeout_s * 1000
            )
        except PlaywrightError as exc:
            self.stats.retries += 1
            raise Retry("timeout" if "Timeout" in type(exc).__name__ else "browser_error") from None
        status = response.status if response is not None else 0
        if status == 429 or status >= 500:
            self.stats.retries += 1
            raise Retry(f"http_{status}", retry_after(await response.header_value("retry-after")))
        if status >= 400:
            raise FetchFailed(url, f"http_{status}", f"{url} answered {status}.")
        return str(await page.content())

    async def _page(self) -> Any:
        async with self._start_lock:
            if self._browser is None:
                await self._start()
            if self._pages.empty() and self._open_pages < self._settings.concurrency:
                self._open_pages += 1
                return await self._context.new_page()
        return await self._pages.get()

    async def _start(self) -> None:
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            raise ConfigurationError(
                "Rendering pages needs Playwright: pip install -e '.[scrape]' (and Debian's "
                "chromium), or set SUPERSMART_SCRAPE__RENDER_PAGES=false."
            ) from None
        if not self._settings.chromium_path.exists():
            raise ConfigurationError(
                f"No Chromium at {self._settings.chromium_path}: apt-get install chromium, or "
                "set SUPERSMART_SCRAPE__CHROMIUM_PATH, or SUPERSMART_SCRAPE__RENDER_PAGES=false."
            )
        self._playwright = await async_playwright().start()
        self._browser = await self._playwright.chromium.launch(
            executable_path=str(self._settings.chromium_path), args=CHROMIUM_ARGS
        )
        self._context = await self._browser.new_context(
            user_agent=self._settings.user_agent, locale="es-ES"
        )
        # Only what the scrapers read: no images, fonts, media or icon (Chromium asks for
        # /favicon.ico on its own, after the page has loaded: outside the host's request cap).
        await self._context.route("**/*", _only_what_is_read)

    async def aclose(self) -> None:
        if self._browser is not None:
            await self._browser.close()
            await self._playwright.stop()
            self._browser = None


SKIPPED = frozenset({"image", "media", "font", "stylesheet", "manifest", "other"})


async def _only_what_is_read(route: Any) -> None:
    request = route.request
    if request.resource_type in SKIPPED or urlsplit(request.url).path == "/favicon.ico":
        await route.abort()
    else:
        await route.continue_()
