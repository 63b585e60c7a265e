"""Short replies in the words the adapters learn, and the data's lead the service shows first.

The `draft` and `brief` adapters are trained to say the answer composed from the data in one or
two short sentences (`finetune/phrasing.py` picks among these wordings with a seeded generator).
The service opens its answer with the first of them, in the first wording (`lead`): composed
from the data, checked like any sentence, shown as soon as retrieval is done, and given to the
model as the beginning of its own reply, which it goes on from. One source for both, so what the
service shows first is what the adapter learned to write first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from chat import compose
from chat.facts import ProductFacts, day, money, reference, size
from core.chains import chain_name
from core.text import fold
from retrieval.query import Intent, Query

T = TypeVar("T")


class Chooser(Protocol):
    """Picks one of several wordings: a seeded `random.Random` when training, `FIRST` when
    serving."""

    def choice(self, seq: Sequence[T]) -> T: ...


class _First:
    def choice(self, seq: Sequence[T]) -> T:
        return seq[0]


FIRST: Chooser = _First()  # the wording the service's lead uses
INGREDIENTS = re.compile(r"ingrediente|composicion|de que esta hech|que lleva")  # folded text
# Asked of a product, and not its price: its brand, its size, what it is made of. The adapters
# learned to answer these in their own first sentence (`finetune/phrasing.py`), not after a price.
_NOT_THE_PRICE = re.compile(
    r"\bmarca\b|\btamano\b|\bcuanto (?:trae|pesa|mide|lleva)\b|\bque (?:cantidad|peso)\b|"
    r"\bcuantos? (?:gramos|kilos|litros|ml|unidades)\b|" + INGREDIENTS.pattern
)


def _at(f: ProductFacts) -> str:
    return day(f.product.observed_at)


def price(f: ProductFacts, rng: Chooser) -> str:
    p, chain = f.product, chain_name(f.product.chain)
    return rng.choice(
        [
            f"{p.name} [{f.ref}] cuesta {money(p.price)} en {chain} (precio a {_at(f)}).",
            f"En {chain}, {p.name} [{f.ref}] está a {money(p.price)}, precio a {_at(f)}.",
            f"Cuesta {money(p.price)} en {chain}: {p.name} [{f.ref}], precio a {_at(f)}.",
        ]
    )


def reference_price(f: ProductFacts, rng: Chooser) -> str | None:
    p, unit = f.product, reference(f.product)
    if unit is None or p.reference_unit is None:
        return None
    amount = size(p)
    pack = f" ({money(p.price)} el envase de {amount})" if amount else f" ({money(p.price)})"
    word = compose.UNIT_NAMES.get(p.reference_unit, p.reference_unit.value)
    return rng.choice(
        [
            f"{p.name} [{f.ref}] sale a {unit}{pack}, precio a {_at(f)}.",
            f"El {word} de {p.name} [{f.ref}] sale a {unit}{pack}; precio a {_at(f)}.",
        ]
    )


def comparison(facts: Sequence[ProductFacts], rng: Chooser) -> str | None:
    parts = _comparison(facts, rng)
    return " ".join(parts) if parts else None


def _comparison(facts: Sequence[ProductFacts], rng: Chooser) -> list[str] | None:
    """The cheapest per kg / l / unit and the one after it, from `facts` ranked cheapest first
    (the service's retrieval, or `compose.by_unit_price`, orders them so). Figures in the
    composed answer's order, the package's price first: a small model copies them in order
    (written the other way round, it swapped them)."""
    first = facts[0].product
    if first.reference_unit is None or first.reference_price is None:
        return None
    same = [f for f in facts if f.product.reference_unit == first.reference_unit]
    word = compose.UNIT_NAMES.get(first.reference_unit, first.reference_unit.value)
    f0 = facts[0]
    head = rng.choice(
        [
            f"El más barato por {word} es {first.name} [{f0.ref}] en {chain_name(first.chain)}: "
            f"{money(first.price)} ({reference(first)}), precio a {_at(f0)}.",
            f"Donde menos cuesta es en {chain_name(first.chain)}: {first.name} [{f0.ref}] a "
            f"{money(first.price)} ({reference(first)}), precio a {_at(f0)}.",
            f"Por {word}, lo más barato es {first.name} [{f0.ref}] en {chain_name(first.chain)}, "
            f"a {money(first.price)} ({reference(first)}; precio a {_at(f0)}).",
        ]
    )
    if len(same) < 2:
        return [head]
    nxt = same[1]
    return [
        head,
        f"Le sigue {nxt.product.name} [{nxt.ref}] en {chain_name(nxt.product.chain)} a "
        f"{reference(nxt.product)}.",
    ]


def listing(query: Query, facts: Sequence[ProductFacts], rng: Chooser) -> str:
    """Every product under the limit asked, cheapest first, each with its price and chain (the
    limit itself is the shopper's figure, not the data's: not said); one date when all share
    it, else each its own."""
    found = compose.budget_first(query, facts)
    days = {day(f.product.observed_at) for f in found}

    def item(f: ProductFacts) -> str:
        p = f.product
        text = f"{p.name} [{f.ref}] a {money(p.price)} en {chain_name(p.chain)}"
        return text if len(days) == 1 else f"{text} (precio a {day(p.observed_at)})"

    items = "; ".join(map(item, found))
    if len(days) > 1:
        return f"Tengo {items}."
    at = days.pop()
    return rng.choice([f"Tengo {items} (precios a {at}).", f"Hay estos: {items}; precios a {at}."])


def reply(query: Query, facts: Sequence[ProductFacts], now: datetime, rng: Chooser) -> str | None:
    sentences = _sentences(query, facts, now, rng)
    return " ".join(sentences) if sentences else None


def _sentences(
    query: Query, facts: Sequence[ProductFacts], now: datetime, rng: Chooser
) -> list[str] | None:
    """The short reply when the data has what was asked (`compose.leads`): the price story of
    the product asked about, the cheapest with the one after it, the list under a price, the
    price per kg / l asked, else the product's price. None when the data has not got it, or
    has no figure to say (no price per unit to compare): the composed answer says why."""
    wanted = compose.leads(query, facts)
    if wanted is None:
        return None
    lead = next(f for f in facts if f.ref == min(wanted))
    if Intent.HISTORY in query.intents:
        return [compose.history(lead, query, now)]
    if query.alternatives or query.intents & {Intent.CHEAPEST, Intent.COMPARE}:
        unit, ranked = compose.by_unit_price(facts, query.unit)
        if query.alternatives:
            ranked = [f for f in ranked if f.ref in wanted]
            if len(ranked) < len(wanted):
                return None  # one of the two has no price per unit: the composed text says so
        if unit is None or not ranked:
            return None
        return _comparison(ranked, rng)
    if compose.lists(query):
        return [listing(query, facts, rng)]
    if query.unit is not None:
        per_unit = reference_price(lead, rng)
        return [per_unit] if per_unit else None
    return [price(lead, rng)]


def lead(query: Query, facts: Sequence[ProductFacts], now: datetime) -> str | None:
    """What the service says first, before the model: the reply in its first wording, cut
    after its first sentence when that alone answers (cites the product the data points to,
    with the figure asked), else the whole reply. None when there is no reply to open with, or
    the question asks something of the product other than what the reply says (its brand, its
    size, its ingredients: the model answers those from the start)."""
    if _NOT_THE_PRICE.search(fold(query.original)):
        return None
    sentences = _sentences(query, facts, now, FIRST) or []
    for k in range(1, len(sentences) + 1):
        text = " ".join(sentences[:k])
        if compose.disagreement(query, facts, text, now) is None:
            return text
    return None
