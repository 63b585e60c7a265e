"""Allergen information with explicit uncertainty.

The 14 allergens of EU Regulation 1169/2011. For each one a product either *contains* it, *may
contain traces* of it, is *free* of it (only when its label says so explicitly: "Libre de…",
"Sin gluten"), or it is *unknown*. A missing or unreadable declaration is unknown, never "free".
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_serializer


class Allergen(StrEnum):
    GLUTEN = "gluten"
    CRUSTACEANS = "crustaceans"
    EGGS = "eggs"
    FISH = "fish"
    PEANUTS = "peanuts"
    SOY = "soy"
    MILK = "milk"
    TREE_NUTS = "tree_nuts"
    CELERY = "celery"
    MUSTARD = "mustard"
    SESAME = "sesame"
    SULPHITES = "sulphites"
    LUPIN = "lupin"
    MOLLUSCS = "molluscs"


ALLERGEN_NAMES_ES: dict[Allergen, str] = {
    Allergen.GLUTEN: "gluten",
    Allergen.CRUSTACEANS: "crustáceos",
    Allergen.EGGS: "huevo",
    Allergen.FISH: "pescado",
    Allergen.PEANUTS: "cacahuete",
    Allergen.SOY: "soja",
    Allergen.MILK: "leche",
    Allergen.TREE_NUTS: "frutos de cáscara",
    Allergen.CELERY: "apio",
    Allergen.MUSTARD: "mostaza",
    Allergen.SESAME: "sésamo",
    Allergen.SULPHITES: "sulfitos",
    Allergen.LUPIN: "altramuces",
    Allergen.MOLLUSCS: "moluscos",
}


class AllergenStatus(StrEnum):
    CONTAINS = "contains"
    TRACES = "traces"
    FREE = "free"
    UNKNOWN = "unknown"


class AllergenInfo(BaseModel):
    """What a product's label says about allergens.

    `declared` is true when the source carried an allergen statement at all (even "no allergens
    declared"); it lets an answer say "sin alérgenos declarados" while still treating every
    allergen not explicitly excluded as unknown.
    """

    model_config = ConfigDict(frozen=True)

    contains: frozenset[Allergen] = Field(default_factory=frozenset)
    traces: frozenset[Allergen] = Field(default_factory=frozenset)
    free: frozenset[Allergen] = Field(default_factory=frozenset)
    declared: bool = False
    source_text: str | None = None

    @field_serializer("contains", "traces", "free")
    def _sorted(self, value: frozenset[Allergen]) -> list[str]:
        # Sets have no order; a stable one keeps content hashes equal across processes.
        return sorted(a.value for a in value)

    def status(self, allergen: Allergen) -> AllergenStatus:
        if allergen in self.contains:
            return AllergenStatus.CONTAINS
        if allergen in self.traces:
            return AllergenStatus.TRACES
        if allergen in self.free:
            return AllergenStatus.FREE
        return AllergenStatus.UNKNOWN

    @property
    def is_unknown(self) -> bool:
        return not (self.declared or self.contains or self.traces or self.free)
