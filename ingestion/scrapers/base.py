"""What every supermarket adapter is: a fetch part (discover products, fetch their payloads)
and a pure `parse(payload) -> list[Product]` that raises `SiteChanged` when the payload no longer
looks like what the adapter was written for (the signal that a site changed).

Adding a chain = adding a module in this package that defines a `Scraper` subclass with a
`chain` name; `ingestion.scrapers.registry` finds it (third-party packages can register more
through the `supersmart.scrapers` entry-point group).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from core.domain import Product
from ingestion.records import RowRejected


class SiteChanged(RowRejected):
    """A payload lacks what the adapter expects: a field, a block, or valid syntax."""

    def __init__(
        self,
        reason: str,
        message: str,
        field: str | None = None,
        expected: str | None = None,
        excerpt: str | None = None,
    ) -> None:
        super().__init__(reason, message, field, expected)
        self.excerpt = excerpt


class FetchFailed(Exception):
    """A request failed for good (after retries), or robots.txt forbids it."""

    def __init__(self, url: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason
        self.message = message


class Fetcher(Protocol):
    """Polite access to a site: JSON and text over HTTP (or a browser for `text`)."""

    async def json(self, url: str, params: dict[str, Any] | None = None) -> Any: ...

    async def text(self, url: str, params: dict[str, Any] | None = None) -> str: ...


@dataclass(frozen=True)
class ProductRef:
    """A product found while listing a site; `payload` is set when the listing holds it all."""

    id: str
    url: str
    payload: Any = field(default=None, compare=False)


class Scraper(ABC):
    """One supermarket chain's site."""

    chain: ClassVar[str]
    default_base_url: ClassVar[str]
    renders_pages: ClassVar[bool] = False  # True: product pages need a browser (Playwright)

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    @abstractmethod
    def discover(self, fetch: Fetcher) -> AsyncIterator[ProductRef]:
        """Walk the site's listings and yield every product to fetch."""

    @abstractmethod
    async def fetch(self, fetch: Fetcher, ref: ProductRef) -> Any:
        """The payload `parse` reads for one product (JSON, or a page's HTML)."""

    @abstractmethod
    def parse(self, payload: Any, observed_at: datetime) -> list[Product]:
        """Pure: payload -> products. Raises `SiteChanged` when the payload is not as expected."""
