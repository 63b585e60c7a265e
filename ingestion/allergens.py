"""Reading allergen statements written in Spanish labels into `AllergenInfo`.

Handles the forms seen in real Mercadona/Dia/Carrefour data: "Contiene leche y sus derivados",
"Puede contener soja", "Trazas de frutos de cáscara", "Libre de huevos", "Sin gluten", and the
upstream code "x99." (a declaration with no allergens). "Sin lactosa" does not make a product
milk-free (lactose-free milk is still milk), so it is not read as such.
"""

from __future__ import annotations

import re

from core.allergens import Allergen, AllergenInfo
from core.text import fold

_KEYWORDS: dict[Allergen, tuple[str, ...]] = {
    Allergen.GLUTEN: ("gluten", "trigo", "cebada", "centeno", "avena", "espelta", "kamut"),
    Allergen.CRUSTACEANS: ("crustaceo",),
    Allergen.EGGS: ("huevo",),
    Allergen.FISH: ("pescado",),
    Allergen.PEANUTS: ("cacahuete",),
    Allergen.SOY: ("soja",),
    Allergen.MILK: ("leche", "lactosa", "lacteo"),
    Allergen.TREE_NUTS: (
        "frutos de cascara",
        "frutos secos",
        "almendra",
        "avellana",
        "nuez",
        "nueces",
        "anacardo",
        "pistacho",
        "macadamia",
        "pacana",
    ),
    Allergen.CELERY: ("apio",),
    Allergen.MUSTARD: ("mostaza",),
    Allergen.SESAME: ("sesamo",),
    Allergen.SULPHITES: ("sulfito", "dioxido de azufre"),
    Allergen.LUPIN: ("altramuz", "altramuces"),
    Allergen.MOLLUSCS: ("molusco",),
}
_NO_ALLERGENS = re.compile(r"^\s*x99\.?\s*$|sin alergenos|no contiene alergenos")
_TRACES = re.compile(r"puede contener|trazas|elaborado en .*(?:que|donde) .*(?:utiliza|manipula)")
_FREE = re.compile(r"\blibre de\b|\bsin\b|\bno contiene\b|\bexento de\b")
_CLAIM = re.compile(r"(?:sin|libre de|exento de)\b")


def _mentioned(sentence: str, free_claim: bool) -> set[Allergen]:
    found = set()
    for allergen, words in _KEYWORDS.items():
        hits = [w for w in words if w in sentence]
        if free_claim and allergen is Allergen.MILK:
            hits = [w for w in hits if w != "lactosa"]  # "sin lactosa" is not milk-free
        if hits:
            found.add(allergen)
    return found


def parse_allergens(declaration: str | None, claims: tuple[str | None, ...] = ()) -> AllergenInfo:
    """`declaration` is the label's allergen statement; `claims` are other texts (mandatory
    mentions, ingredients) from which only explicit "sin/libre de" claims are taken."""
    contains: set[Allergen] = set()
    traces: set[Allergen] = set()
    free: set[Allergen] = set()
    declared = bool(declaration and declaration.strip())
    for sentence in _sentences(declaration):
        if _NO_ALLERGENS.search(sentence):
            continue
        if _TRACES.search(sentence):
            traces |= _mentioned(sentence, free_claim=False)
        elif _FREE.search(sentence):
            free |= _mentioned(sentence, free_claim=True)
        else:
            contains |= _mentioned(sentence, free_claim=False)
    for text in claims:
        for clause in _clauses(text):
            if _CLAIM.match(clause):
                free |= _mentioned(clause, free_claim=True)
    traces -= contains
    free -= contains | traces  # the safer statement wins when a label contradicts itself
    return AllergenInfo(
        contains=frozenset(contains),
        traces=frozenset(traces),
        free=frozenset(free),
        declared=declared,
        source_text=declaration.strip() if declaration else None,
    )


def _clauses(text: str | None) -> list[str]:
    """Short pieces ("sin gluten", "contiene leche") so a claim never spans two statements."""
    return [c.strip() for s in _sentences(text) for c in re.split(r"[,:()]", s) if c.strip()]


def _sentences(text: str | None) -> list[str]:
    if not text:
        return []
    plain = fold(re.sub(r"<[^>]+>", " ", text))
    return [s.strip() for s in re.split(r"[.;\n]|\s-\s", plain) if s.strip()]
