"""Domain types shared by every package: products, price observations, executions, errors.

Money is `Decimal` in euros. Timestamps are timezone-aware UTC. A product is identified by its
chain and the chain's own product id; `Product.id` joins them as `"<chain>:<chain_product_id>"`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.allergens import AllergenInfo
from core.text import one_line, visible


def to_utc_ms(value: datetime) -> datetime:
    """Aware UTC, millisecond precision: what every backend (BSON dates too) stores exactly."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=aware.microsecond // 1000 * 1000)


def utcnow() -> datetime:
    return to_utc_ms(datetime.now(UTC))


Clock = Callable[[], datetime]  # what tells the time where an answer depends on it (`utcnow`)


def new_execution_id() -> str:
    """Time-ordered unique id (nanosecond clock + randomness): sorting ids sorts runs."""
    return f"{time.time_ns():016x}{secrets.token_hex(4)}"


def make_product_id(chain: str, chain_product_id: str) -> str:
    return f"{chain}:{chain_product_id}"


def web_url(value: str | None) -> str | None:
    """`value` when it is an absolute http(s) address, else None."""
    if value is None:
        return None
    value = value.strip()
    parts = urlsplit(value)  # drops tabs and newlines, as browsers do ("java\tscript:")
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


class ReferenceUnit(StrEnum):
    """Unit that a reference price (price per unit) refers to."""

    KG = "kg"
    L = "l"
    UNIT = "ud"
    M = "m"


class Nutrition(BaseModel):
    """Nutrition facts per 100 g (or 100 ml). Every field is optional: absent means unknown."""

    model_config = ConfigDict(frozen=True)

    energy_kcal: float | None = None
    fat_g: float | None = None
    saturated_fat_g: float | None = None
    carbohydrates_g: float | None = None
    sugars_g: float | None = None
    fibre_g: float | None = None
    protein_g: float | None = None
    salt_g: float | None = None


class Product(BaseModel):
    """A product as one chain sells it, at the moment `observed_at`."""

    model_config = ConfigDict(frozen=True)

    chain: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    chain_product_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    price: Decimal = Field(gt=0, description="Package (shelf) price in EUR, discounts applied.")
    observed_at: datetime
    brand: str | None = None
    ean: str | None = None
    category_path: tuple[str, ...] = ()
    regular_price: Decimal | None = Field(None, description="Price before discount, if any.")
    reference_price: Decimal | None = Field(None, description="EUR per reference unit.")
    reference_unit: ReferenceUnit | None = None
    unit_size: float | None = Field(None, description="Size in `size_unit` (0.75 for 75 cl).")
    size_unit: ReferenceUnit | None = None
    packaging: str | None = None
    ingredients: str | None = None
    allergens: AllergenInfo = Field(default_factory=AllergenInfo)
    nutrition: Nutrition | None = None
    storage_instructions: str | None = None
    usage_instructions: str | None = None
    origin: str | None = None
    url: str | None = Field(None, description="The product's page: an absolute http(s) address.")

    @field_validator("observed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return to_utc_ms(value)

    @field_validator("name", "brand", "packaging", "origin", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> object:
        """Names are one line of visible text, from any source: a line break would forge a
        product line of its own in the model's prompt and the bots' messages, a
        text-direction override reorders the prices shown after it."""
        return one_line(value) if isinstance(value, str) else value

    @field_validator("category_path", mode="before")
    @classmethod
    def _one_line_each(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(one_line(v) if isinstance(v, str) else v for v in value)
        return value

    @field_validator("ingredients", "storage_instructions", "usage_instructions", mode="before")
    @classmethod
    def _visible(cls, value: object) -> object:
        return visible(value) if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _web_page(cls, value: str | None) -> str | None:
        """Only an absolute http(s) address is kept: anything else (`javascript:`, `data:`, a
        relative path) would become a link in the dashboard and the chat page, so it is dropped
        here, on import, on scrape and on every read of an older store."""
        return web_url(value)

    @property
    def id(self) -> str:
        return make_product_id(self.chain, self.chain_product_id)

    def content_hash(self) -> str:
        """Hash of everything but the observation time: equal hashes mean nothing changed."""
        data = self.model_dump(mode="json", exclude={"observed_at"})
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def to_record(self) -> dict[str, Any]:
        """JSON-ready dict (the documented JSONL product format)."""
        return self.model_dump(mode="json", exclude_none=True)


class PriceObservation(BaseModel):
    """The price a product had from `observed_at` on (recorded only when it changes)."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    price: Decimal = Field(gt=0)
    observed_at: datetime
    reference_price: Decimal | None = None
    execution_id: str | None = None

    @field_validator("observed_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return to_utc_ms(value)


class ExecutionStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    DEGRADED = "degraded"
    ABORTED = "aborted"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ExecutionCounts(BaseModel):
    """What an execution did; updated in the same transaction as the data it counts."""

    seen: int = 0  # product records
    new: int = 0
    updated: int = 0  # product records that changed the current product
    unchanged: int = 0  # product records that changed nothing
    price_changes: int = 0  # changes of price the histories gained
    errors: int = 0
    prices: int = 0  # dated price records (history files, `price_history`); a newer one also
    # becomes the product's current price

    def __add__(self, other: ExecutionCounts) -> ExecutionCounts:
        return ExecutionCounts(
            **{name: getattr(self, name) + getattr(other, name) for name in type(self).model_fields}
        )


COUNT_FIELDS = tuple(ExecutionCounts.model_fields)


class Execution(BaseModel):
    """One scrape or import run."""

    id: str
    source: str = Field(description="Chain name for scrapes, `import:<format>` for imports.")
    kind: str = Field(description="'scrape' or 'import'.")
    started_at: datetime
    finished_at: datetime | None = None
    status: ExecutionStatus = ExecutionStatus.RUNNING
    counts: ExecutionCounts = Field(default_factory=ExecutionCounts)
    note: str | None = None


class ScrapeError(BaseModel):
    """A record that could not be taken as it came: the signal that a site or file changed."""

    model_config = ConfigDict(frozen=True)

    execution_id: str
    chain: str
    reason: str = Field(description="Short machine-friendly reason, e.g. 'missing_price'.")
    message: str = Field(description="What went wrong, for a person.")
    url: str | None = Field(None, description="Page, API URL or `file:line` of the record.")
    field: str | None = None
    expected: str | None = None
    excerpt: str | None = Field(None, description="The offending part of the payload (cut short).")
    occurred_at: datetime = Field(default_factory=utcnow)


class ConversationTurn(BaseModel):
    """One message of a conversation with the assistant, as kept in the store."""

    model_config = ConfigDict(frozen=True)

    role: str = Field(pattern=r"^(user|assistant)$")
    content: str
    at: datetime = Field(default_factory=utcnow)
