"""Gold replies for the `draft` prompt (`chat/prompt.py`): what the model should say, given the
question and the answer composed from the data.

The data has decided the content (`chat.compose.leads`: which product, which figure, which
direction); the reply says it in one or two short sentences instead of the composed list:
the product asked for and its price (per kg / l when asked), the cheapest with the one after
it, the price story of the product asked about, "No encuentro" when the data has not got it.
Allergen lines and totals are not the model's to say: the service appends them from the data.
Several wordings per case, picked with the dataset's seeded generator.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime

from chat import compose
from chat.facts import ProductFacts, day, money
from core.chains import chain_name
from finetune import answers
from retrieval.query import Intent, Query

REFUSED = frozenset({"off_topic"})  # families that are not about products
_NOT_IN_DRAFT = frozenset({"ingredients"})  # the composed answer does not list them
_ABOUT_ONE: dict[str, Callable[[ProductFacts, random.Random], str | None]] = {
    "size": answers.package_size,
    "brand": answers.brand,
}


def reply(
    query: Query,
    facts: Sequence[ProductFacts],
    now: datetime,
    rng: random.Random,
    family: str = "",
) -> str | None:
    """The short reply, or None when there is nothing for the model to phrase (a greeting,
    nothing retrieved, no price per unit to compare, ingredients the draft does not hold).
    `family`: what the question asks when its words alone do not say it to the service
    (a package's size, a brand; an off-topic request gets the scope refusal)."""
    if Intent.CHAT in query.intents or not facts or family in _NOT_IN_DRAFT:
        return None
    wanted = compose.leads(query, facts)
    if family in _ABOUT_ONE:
        if wanted is None:
            return None  # "marca" read as a product word: nothing worth teaching
        lead = next(f for f in facts if f.ref == min(wanted))
        return _ABOUT_ONE[family](lead, rng)
    if wanted is None:
        if family in REFUSED:
            return compose.REFUSAL
        thing = query.written.strip()
        return rng.choice(
            [f"No encuentro «{thing}» en los supermercados que sigo.", f"No encuentro «{thing}»."]
        )
    lead = next(f for f in facts if f.ref == min(wanted))
    if Intent.HISTORY in query.intents:
        return compose.history(lead, query, now)
    if query.alternatives or query.intents & {Intent.CHEAPEST, Intent.COMPARE}:
        unit, ranked = compose.by_unit_price(facts, query.unit)
        if query.alternatives:
            ranked = [f for f in ranked if f.ref in wanted]
            if len(ranked) < len(wanted):
                return None  # one of the two has no price per unit: the composed text says so
        if unit is None or not ranked:
            return None
        return answers.comparison(ranked, rng)
    if compose.lists(query):
        return _under(query, facts, rng)
    if query.unit is not None:
        return answers.reference_price(lead, rng)
    return answers.price(lead, rng)


def _under(query: Query, facts: Sequence[ProductFacts], rng: random.Random) -> str:
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
