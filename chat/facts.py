"""What the assistant may say about a product, rendered the one way answers and prompts use.

The same renderings feed the prompt's numbered context, the data-composed answers and the
grounding check, so a price the model copies from the context always verifies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.allergens import ALLERGEN_NAMES_ES, Allergen, AllergenStatus
from core.chains import chain_name
from core.domain import PriceObservation, Product, ReferenceUnit

_SIZE_UNITS = {ReferenceUnit.KG: "kg", ReferenceUnit.L: "l", ReferenceUnit.UNIT: "ud"}


def money(value: Decimal) -> str:
    """8,95 € (Spanish decimal comma)."""
    return f"{value:.2f} €".replace(".", ",")


def day(value: datetime) -> str:
    return f"{value:%d/%m/%Y}"


def reference(product: Product) -> str | None:
    if product.reference_price is None or product.reference_unit is None:
        return None
    return f"{money(product.reference_price)}/{product.reference_unit.value}"


def size(product: Product) -> str | None:
    if product.unit_size is None or product.size_unit is None:
        return None
    amount, unit = product.unit_size, product.size_unit
    if unit is ReferenceUnit.KG and amount < 1:
        return f"{amount * 1000:g} g"
    if unit is ReferenceUnit.L and amount < 1:
        return f"{amount * 1000:g} ml"
    text = f"{amount:g}".replace(".", ",")
    return f"{text} {_SIZE_UNITS.get(unit, unit.value)}"


def allergen_line(product: Product) -> str:
    info = product.allergens
    if info.is_unknown:
        return "alérgenos: sin información"
    parts = []
    if info.contains:
        parts.append("contiene " + _names(info.contains))
    if info.traces:
        parts.append("puede contener " + _names(info.traces))
    if info.free:
        parts.append("sin " + _names(info.free))
    return "alérgenos: " + ("; ".join(parts) if parts else "ninguno declarado")


def _names(allergens: frozenset[Allergen]) -> str:
    return ", ".join(sorted(ALLERGEN_NAMES_ES[a] for a in allergens))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class ProductFacts:
    """One numbered product of an answer's context, with its price history."""

    ref: int
    product: Product
    history: tuple[PriceObservation, ...] = ()
    flags: tuple[str, ...] = field(default=())

    @property
    def allowed_prices(self) -> set[Decimal]:
        p = self.product
        prices = {p.price, *(o.price for o in self.history)}
        prices.update(x for x in (p.reference_price, p.regular_price) if x is not None)
        return {x.quantize(Decimal("0.01")) for x in prices}

    @property
    def package_prices(self) -> set[Decimal]:
        """What the package cost: now, before a discount, or at an earlier date."""
        p = self.product
        prices = {p.price, *(o.price for o in self.history)}
        if p.regular_price is not None:
            prices.add(p.regular_price)
        return {x.quantize(Decimal("0.01")) for x in prices}

    @property
    def unit_prices(self) -> set[Decimal]:
        """Price per kg / l / unit (the package price too when the package is one unit)."""
        p = self.product
        prices = set() if p.reference_price is None else {p.reference_price}
        if p.unit_size == 1:
            prices.add(p.price)
        return {x.quantize(Decimal("0.01")) for x in prices}

    @property
    def allowed_days(self) -> set[str]:
        return {day(self.product.observed_at), *(day(o.observed_at) for o in self.history)}

    def allergen_status(self, allergen: Allergen) -> AllergenStatus:
        return self.product.allergens.status(allergen)

    @property
    def price_changes(self) -> list[PriceObservation]:
        """Oldest first, one entry per change of the package price: an observation that only
        changed the price per kilo is no change the shopper sees ("bajó de 2,80 € a 2,80 €")."""
        changes: list[PriceObservation] = []
        for observation in sorted(self.history, key=lambda o: o.observed_at):
            if not changes or observation.price != changes[-1].price:
                changes.append(observation)
        return changes

    def history_line(self) -> str | None:
        """Price changes, oldest first: "8,79 € (25/09/2026) → 9,35 € (06/11/2026)"."""
        changes = self.price_changes
        if len(changes) < 2:
            return None
        return " → ".join(f"{money(o.price)} ({day(o.observed_at)})" for o in changes[-4:])

    def context_line(self, with_history: bool = False, with_ingredients: bool = False) -> str:
        p = self.product
        parts = [f"[{self.ref}] {p.name}"]
        if p.brand and p.brand.lower() not in p.name.lower():
            parts[0] += f" ({p.brand})"
        parts.append(chain_name(p.chain))
        if (text := size(p)) is not None:
            parts.append(text)
        price = f"{money(p.price)}"
        if (unit := reference(p)) is not None:
            price += f" ({unit})"
        parts.append(f"{price}, precio a {day(p.observed_at)}")
        if with_history and (changes := self.history_line()) is not None:
            parts.append(f"historial: {changes}")
        parts.append(allergen_line(p))
        if with_ingredients:
            parts.append(f"ingredientes: {_clip(p.ingredients or 'sin información', 240)}")
        return " | ".join(parts)


# "[n]": how an answer cites product n of its context, everywhere the service reads answers.
# (The independent checker, `evaluation/claims.py`, keeps its own reading on purpose.)
CITATION = re.compile(r"\[(\d+)\]")


def cited(answer: str, facts: Sequence[ProductFacts]) -> list[ProductFacts]:
    """The products `answer` cites, in the order it first cites them, known ones only."""
    by_ref = {f.ref: f for f in facts}
    refs = dict.fromkeys(int(n) for n in CITATION.findall(answer))
    return [by_ref[n] for n in refs if n in by_ref]
