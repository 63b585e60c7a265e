"""Gold replies for the `draft` prompt (`chat/prompt.py`): what the model should say, given the
question and the answer composed from the data.

The data has decided the content (`chat.compose.leads`: which product, which figure, which
direction); the reply says it in one or two short sentences instead of the composed list:
the product asked for and its price (per kg / l when asked), the cheapest with the one after
it, the price story of the product asked about, "No encuentro" when the data has not got it.
Allergen lines and totals are not the model's to say: the service appends them from the data.
Several wordings per case, picked with the dataset's seeded generator; the wordings and the
cases the service meets are `chat/replies.py`'s, whose first wording the service shows first.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime

from chat import compose, replies
from chat.facts import ProductFacts
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
    return replies.reply(query, facts, now, rng)
