"""Reading supermarket payloads defensively: every missing field becomes a `SiteChanged` that
names the field, what was expected and an excerpt, instead of a KeyError deep in a parser."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from core.allergens import Allergen, AllergenInfo
from core.domain import Nutrition
from core.text import fold
from ingestion.allergens import parse_allergens
from ingestion.parsing import clean_text, parse_price
from ingestion.records import RowRejected
from ingestion.scrapers.base import SiteChanged

_TAG = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"<(?:strong|b)>(.*?)</(?:strong|b)>", re.IGNORECASE | re.DOTALL)
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_NUTRIENTS = (  # folded label fragment -> Nutrition field; first match wins, order matters
    ("satura", "saturated_fat_g"),
    ("azucar", "sugars_g"),
    ("grasa", "fat_g"),
    ("hidratos", "carbohydrates_g"),
    ("fibra", "fibre_g"),
    ("protein", "protein_g"),
    ("sal", "salt_g"),
)


def excerpt(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:limit]


def dig(obj: Any, *path: str | int, expected: str = "a value") -> Any:
    """`obj[path[0]][path[1]]...`, or `SiteChanged('missing_field')` naming the full path."""
    current = obj
    for depth, key in enumerate(path):
        parent = current
        try:
            current = current[key]
            problem = "is empty" if current is None else None
        except (KeyError, IndexError, TypeError):
            problem = "is missing"
        if problem:
            name = ".".join(str(part) for part in path[: depth + 1])
            raise SiteChanged(
                "missing_field",
                f"'{name}' {problem} in the payload.",
                field=name,
                expected=expected,
                excerpt=excerpt(parent),
            )
    return current


def text_at(obj: Any, *path: str | int, expected: str) -> str:
    """Required text, whitespace collapsed; missing, empty or blank is a site change (a product
    with no name is recorded as a scrape error, never stored and never a crash)."""
    value = clean_text(dig(obj, *path, expected=expected))
    if value is None:
        name = ".".join(str(part) for part in path)
        raise SiteChanged(
            "missing_field",
            f"'{name}' is blank in the payload.",
            field=name,
            expected=expected,
            excerpt=excerpt(obj),
        )
    return value


def optional(obj: Any, *path: str | int) -> Any:
    """Like `dig`, but a missing or empty value is simply None."""
    try:
        return dig(obj, *path)
    except SiteChanged:
        return None


def price_at(obj: Any, *path: str | int) -> Decimal:
    """A required price; a missing or unusable one is a site change, with the field named."""
    value = dig(obj, *path, expected="a price in EUR")
    try:
        return parse_price(value, ".".join(map(str, path)))
    except RowRejected as exc:
        raise SiteChanged(
            exc.reason,
            exc.message,
            field=".".join(map(str, path)),
            expected="a price in EUR",
            excerpt=excerpt(value),
        ) from None


def optional_price(obj: Any, *path: str | int) -> Decimal | None:
    value = optional(obj, *path)
    if value in (None, ""):
        return None
    try:
        return parse_price(value)
    except RowRejected:
        return None


def plain_text(value: str | None) -> str | None:
    """HTML fragment -> readable text ('<p><strong>Leche&nbsp;</strong>' -> 'Leche')."""
    if not value:
        return None
    text = html.unescape(_TAG.sub(" ", value)).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,;:])", r"\1", text)
    return text or None


def emphasised_allergens(ingredients_html: str | None) -> frozenset[Allergen]:
    """EU labels emphasise allergens in the ingredient list (bold): those are 'contains'."""
    if not ingredients_html:
        return frozenset()
    words = []
    for match in _EMPHASIS.finditer(ingredients_html):
        sentence_start = ingredients_html.rfind(".", 0, match.start()) + 1
        before = fold(plain_text(ingredients_html[sentence_start : match.start()]) or "")
        if "puede contener" in before or "traza" in before:
            continue  # "Puede contener trazas de <b>cacahuete</b>" is a trace, not an ingredient
        words.append(plain_text(match[1]) or "")
    return parse_allergens(f"Contiene {' '.join(words)}.").contains if words else frozenset()


def allergen_info(
    declaration: str | None,
    ingredients_html: str | None = None,
    claims: tuple[str | None, ...] = (),
) -> AllergenInfo:
    """A label's allergen statement, plus what the ingredient list emphasises."""
    info = parse_allergens(plain_text(declaration), claims=tuple(plain_text(c) for c in claims))
    emphasised = emphasised_allergens(ingredients_html)
    if not emphasised - info.contains:
        return info
    contains = info.contains | emphasised
    return info.model_copy(
        update={
            "contains": contains,
            "traces": info.traces - contains,
            "free": info.free - contains,
        }
    )


def number(value: Any) -> float | None:
    """'46 Kcal' -> 46.0, '1,6 g' -> 1.6, 3.1 -> 3.1."""
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _NUMBER.search(value)
    return float(match[0].replace(",", ".")) if match else None


def nutrition_from_labels(rows: Mapping[str, Any], energy_kcal: Any = None) -> Nutrition | None:
    """Spanish nutrition rows ('Grasas (g)': '1.6 g', 'de las cuales saturadas': 1.1)."""
    values: dict[str, float] = {}
    if (kcal := number(energy_kcal)) is not None:
        values["energy_kcal"] = kcal
    for label, raw in rows.items():
        folded = fold(label)
        if "kcal" in folded and "energy_kcal" not in values:
            if (kcal := number(raw)) is not None:
                values["energy_kcal"] = kcal
            continue
        if "kj" in folded or "energ" in folded:
            continue
        for fragment, name in _NUTRIENTS:
            if fragment in folded:
                if name not in values and (amount := number(raw)) is not None:
                    values[name] = amount
                break
    return Nutrition.model_validate(values) if values else None
