"""Gold answers for training: short, grounded Spanish answers composed from the numbered
products, citing them as [n], in the wording the grounding check accepts. Several phrasings per
family, picked with the dataset's seeded random generator. The wordings the service also uses
(a price, a price per unit, the cheapest) are `chat/replies.py`'s."""

from __future__ import annotations

import random
from collections.abc import Sequence

from chat.facts import ProductFacts, day, money, size
from core.allergens import ALLERGEN_NAMES_ES, Allergen, AllergenStatus
from core.chains import chain_name


def _at(f: ProductFacts) -> str:
    return day(f.product.observed_at)


def package_size(f: ProductFacts, rng: random.Random) -> str | None:
    p, amount = f.product, size(f.product)
    if amount is None:
        return None
    return rng.choice(
        [
            f"{p.name} [{f.ref}] viene en {amount} y cuesta {money(p.price)}.",
            f"El envase de {p.name} [{f.ref}] es de {amount}, a {money(p.price)}.",
        ]
    )


def brand(f: ProductFacts, rng: random.Random) -> str | None:
    p = f.product
    if not p.brand:
        return None
    return rng.choice(
        [
            f"{p.name} [{f.ref}] es de la marca {p.brand}.",
            f"Es de {p.brand}: {p.name} [{f.ref}], a {money(p.price)} en {chain_name(p.chain)}.",
        ]
    )


def chain(f: ProductFacts, rng: random.Random) -> str:
    p = f.product
    return rng.choice(
        [
            f"Sí, en {chain_name(p.chain)} tienen {p.name} [{f.ref}] a {money(p.price)}.",
            f"Sí: {p.name} [{f.ref}] está en {chain_name(p.chain)} por {money(p.price)} "
            f"(precio a {_at(f)}).",
        ]
    )


def history(f: ProductFacts, rng: random.Random) -> str:
    p, changes = f.product, f.price_changes
    if len(changes) < 2:
        return (
            f"No tengo cambios de precio de {p.name} [{f.ref}]: cuesta {money(p.price)} "
            f"(precio a {_at(f)})."
        )
    before, last = changes[-2], changes[-1]
    if last.price > before.price:
        verb = rng.choice(["ha subido", "subió"])
    else:
        verb = rng.choice(["ha bajado", "bajó"])
    return (
        f"Sí, {p.name} [{f.ref}] {verb} de {money(before.price)} a {money(last.price)} "
        f"el {day(last.observed_at)}."
    )


def allergen(f: ProductFacts, which: Allergen, rng: random.Random) -> str:
    p, name = f.product, ALLERGEN_NAMES_ES[which]
    if p.allergens.is_unknown:
        return f"No tengo información de alérgenos de {p.name} [{f.ref}]: compruébalo en el envase."
    status = f.allergen_status(which)
    if status is AllergenStatus.CONTAINS:
        return f"Sí: según la etiqueta, {p.name} [{f.ref}] contiene {name}."
    if status is AllergenStatus.TRACES:
        return f"Según la etiqueta, {p.name} [{f.ref}] puede contener trazas de {name}."
    if status is AllergenStatus.FREE:
        return f"Según la etiqueta, {p.name} [{f.ref}] no contiene {name}."
    return (
        f"La etiqueta de {p.name} [{f.ref}] no menciona {name}, así que no puedo asegurar "
        "que no lo tenga."
    )


def allergen_list(f: ProductFacts) -> str:
    p, info = f.product, f.product.allergens
    if info.is_unknown:
        return f"No tengo información de alérgenos de {p.name} [{f.ref}]."
    contains = ", ".join(sorted(ALLERGEN_NAMES_ES[a] for a in info.contains))
    traces = ", ".join(sorted(ALLERGEN_NAMES_ES[a] for a in info.traces))
    text = (
        f"Según la etiqueta, {p.name} [{f.ref}] contiene {contains}"
        if contains
        else f"La etiqueta de {p.name} [{f.ref}] no declara alérgenos"
    )
    return text + (f" y puede contener trazas de {traces}." if traces else ".")


def ingredients(f: ProductFacts) -> str | None:
    text = f.product.ingredients
    if not text:
        return None
    text = " ".join(text.split())
    if len(text) > 240:
        return None  # the context clips long lists: the answer must not say more than it
    return f"Los ingredientes de {f.product.name} [{f.ref}] son: {text.rstrip('.')}."


def absent(thing: str, facts: Sequence[ProductFacts], rng: random.Random) -> str:
    text = rng.choice(
        [f"No encuentro {thing} en los supermercados que sigo.", f"No encuentro {thing}."]
    )
    return text
