"""What a product's name says: whether it is the product asked for, of the kind asked for, and
how a misspelt question word is read. Pure functions over products and search terms; the
retriever ranks with them.

- *Named*: every word searched for is in the product's name (or brand). Among named products
  the one with the fewest other words comes first: "Naranja para mesa" before "Zumo de
  naranja", whatever the fusion of rankings said.
- *Of a kind*: Spanish product names begin with what the product is ("Jamón serrano reserva",
  "Aceite de oliva virgen extra Hacendado"), so a product is of the kind "jamón serrano" when
  its name starts with "jamón" and holds "serrano": "Patatas fritas sabor jamón serrano" and
  "Hueso garrón" (filed under jamón) are not. "The cheapest" ranks only these.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from core.domain import Product, ReferenceUnit
from core.text import STOPWORDS, fold, search_terms, stem
from retrieval.query import Query

_WORD = re.compile(r"[a-zñ]{4,}")


class Vocabulary(Protocol):
    """The catalogue's words, as the lexical index knows them (see `LexicalIndex`)."""

    def known(self, term: str) -> bool: ...

    def closest(self, term: str) -> str | None: ...


def correct(query: Query, vocabulary: Vocabulary) -> Query:
    """The query with each word the catalogue never uses replaced by the catalogue's word
    nearest to it ("aceite de olvia" -> "aceite oliva"); `said` keeps what was written. A word
    with nothing near (an invented product) stays, so that it is still not found."""
    words = query.text.split()
    fixed = []
    for word in words:
        if _WORD.fullmatch(word) and word not in STOPWORDS and not vocabulary.known(stem(word)):
            word = vocabulary.closest(stem(word)) or word
        fixed.append(word)
    text = " ".join(fixed)
    if text == query.text:
        return query
    return replace(query, text=text, said=query.said or query.text)


def name_terms(product: Product) -> list[str]:
    return search_terms(f"{product.name} {product.brand or ''}")


def named(product: Product, terms: Iterable[str]) -> bool:
    """Every word searched for is in the product's name or brand."""
    return set(terms) <= set(name_terms(product))


def said_whole(product: Product, terms: Iterable[str]) -> bool:
    """The question holds the product's whole name (two words or more) among other words:
    "hago la compra para mi madre, ¿cuánto vale Mortadela Clásica?"."""
    words = set(search_terms(product.name))
    missing = len(words - set(terms))  # a long name may lose one word ("unidades") to chatter
    return len(words) >= 2 and missing <= (1 if len(words) >= 5 else 0)


def as_written(product: Product, text: str) -> bool:
    """The name is the words asked, as written: plural and order too ("Mandarinas" for
    "mandarinas", not "Mandarina"; "Salmón a rodajas", not "Rodajas de salmón"), when two
    names hold the same stems."""

    return _written(product.name) == _written(text)


@functools.lru_cache(maxsize=1 << 16)
def _written(value: str) -> tuple[str, ...]:
    """The folded words of `value` as written (no stems), stopwords out: asked again for the
    same names at every question, so kept."""
    return tuple(w for w in re.findall(r"[a-z0-9]+", fold(value)) if w not in STOPWORDS)


def extra_words(product: Product, terms: Iterable[str]) -> int:
    """How many words of the name the question did not say (0: the name, exactly)."""
    return len(set(search_terms(product.name)) - set(terms))


def of_kind(product: Product, terms: Sequence[str]) -> bool:
    """The name starts with the kind's first word and holds all the others."""
    words = search_terms(product.name)
    return bool(words and terms) and words[0] == terms[0] and set(terms) <= set(name_terms(product))


def unit_price_key(product: Product, unit: ReferenceUnit | None) -> tuple[int, Decimal, Decimal]:
    """Sort key: priced in `unit` first, by price per that unit; then the rest by package."""
    if product.reference_price is not None and product.reference_unit == unit:
        return (0, product.reference_price, product.price)
    if product.reference_price is not None:
        return (1, product.reference_price, product.price)
    return (2, product.price, product.price)


def common_unit(products: Sequence[Product], asked: ReferenceUnit | None) -> ReferenceUnit | None:
    """The unit to compare in: the one asked for when some product has it, else the most common."""
    units = [p.reference_unit for p in products if p.reference_price is not None]
    if asked is not None and asked in units:
        return asked
    return max(set(units), key=units.count) if units else None


def cheapest_first(
    products: Sequence[Product], asked: ReferenceUnit | None, across_chains: bool
) -> list[Product]:
    """By price per the common unit; with `across_chains`, the cheapest of every other chain
    right after the cheapest of all, so that "¿dónde está más barato?" shows each chain."""
    unit = common_unit(products, asked)
    ordered = sorted(products, key=lambda p: (*unit_price_key(p, unit), fold(p.name), p.id))
    if not across_chains or not ordered:
        return ordered
    firsts: dict[str, Product] = {}
    for product in ordered:
        firsts.setdefault(product.chain, product)
    leaders = list(firsts.values())
    return leaders + [p for p in ordered if p not in leaders]
