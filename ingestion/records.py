"""What a reader yields while going through a source, before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain import PriceObservation, Product


@dataclass(frozen=True)
class DatedPrice:
    """A price of a product at a date, from a price-history source."""

    chain: str
    observation: PriceObservation


@dataclass(frozen=True)
class Rejection:
    """A record that was not taken as it came, and why (becomes a `ScrapeError`).

    `skipped` is false for a record that was stored after dropping a field it could not trust.
    """

    chain: str
    reason: str
    message: str
    location: str
    field: str | None = None
    expected: str | None = None
    excerpt: str | None = None
    skipped: bool = True


Record = Product | DatedPrice | Rejection


class RowRejected(Exception):
    """Raised inside a reader while parsing one row; the reader turns it into a `Rejection`."""

    def __init__(
        self, reason: str, message: str, field: str | None = None, expected: str | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
        self.expected = expected
