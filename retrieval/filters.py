"""Hard filters: a product that breaks an explicit constraint of the question is never
returned. Each kept product says why each filter held, and flags what the data cannot promise
(unknown allergen data is never presented as safe)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.allergens import ALLERGEN_NAMES_ES, Allergen, AllergenStatus
from core.domain import Product
from retrieval.query import Query
from storage.codec import fold


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...] = ()  # why each filter held (Spanish, shown to users)
    flags: tuple[str, ...] = ()  # what the data cannot guarantee
    rejected_because: str | None = None

    @property
    def certain(self) -> bool:
        return self.ok and not self.flags


@dataclass
class _Check:
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def check(product: Product, query: Query) -> Verdict:
    c = _Check()
    if query.chains:
        if product.chain not in query.chains:
            return Verdict(False, rejected_because=f"cadena {product.chain}")
        c.reasons.append(f"cadena: {product.chain}")
    if query.max_price is not None:
        if product.price > query.max_price:
            return Verdict(
                False, rejected_because=f"precio {product.price} € > {query.max_price} €"
            )
        c.reasons.append(f"precio {product.price} € ≤ {query.max_price} €")
    if query.min_price is not None:
        if product.price < query.min_price:
            return Verdict(
                False, rejected_because=f"precio {product.price} € < {query.min_price} €"
            )
        c.reasons.append(f"precio {product.price} € ≥ {query.min_price} €")
    for allergen in sorted(query.exclude):
        name = ALLERGEN_NAMES_ES[allergen]
        status = product.allergens.status(allergen)
        if status is AllergenStatus.CONTAINS:
            return Verdict(False, rejected_because=f"contiene {name}")
        if status is AllergenStatus.TRACES:
            return Verdict(False, rejected_because=f"puede contener trazas de {name}")
        if status is AllergenStatus.FREE:
            c.reasons.append(f"sin {name} (según la etiqueta)")
        elif allergen is Allergen.GLUTEN and "sin gluten" in fold(product.name):
            c.reasons.append("sin gluten (según el nombre del producto)")
        elif product.allergens.declared:
            c.flags.append(f"la etiqueta no menciona {name}: no se garantiza que no lo tenga")
        else:
            c.flags.append(f"sin datos de alérgenos: no se garantiza que no tenga {name}")
    if query.lactose_free:
        says_lactose_free = "sin lactosa" in fold(product.name)
        milk = product.allergens.status(Allergen.MILK)
        if says_lactose_free:
            c.reasons.append("sin lactosa (según el producto)")
        elif milk in (AllergenStatus.CONTAINS, AllergenStatus.TRACES):
            return Verdict(False, rejected_because="contiene leche y no dice 'sin lactosa'")
        elif milk is AllergenStatus.FREE:
            c.reasons.append("sin leche (según la etiqueta)")
        else:
            c.flags.append("sin datos de lactosa: no se garantiza que no tenga")
    return Verdict(True, tuple(c.reasons), tuple(c.flags))
