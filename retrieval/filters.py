"""Hard filters: a product that breaks an explicit constraint of the question is never
returned. Each kept product says why each filter held, and flags what the data cannot promise
(unknown allergen data is never presented as safe)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.allergens import ALLERGEN_NAMES_ES, Allergen, AllergenStatus
from core.domain import Product
from core.text import fold
from retrieval.query import Query


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


class FilterColumns:
    """The snapshot as numpy columns, so a question's hard filters cost a few array operations
    instead of a Python check per product. `allowed(query)[i]` == `check(products[i]).ok`."""

    _STATES: ClassVar[dict[AllergenStatus, int]] = {
        AllergenStatus.UNKNOWN: 0,
        AllergenStatus.FREE: 1,
        AllergenStatus.TRACES: 2,
        AllergenStatus.CONTAINS: 3,
    }

    def __init__(self, products: list[Product]) -> None:
        import numpy as np

        self._np = np
        self.ids = [p.id for p in products]
        self._chain = np.array([p.chain for p in products], dtype=object)
        self._price = np.array([float(p.price) for p in products], dtype=np.float64)
        self._allergens = list(Allergen)
        self._status = np.array(
            [[self._STATES[p.allergens.status(a)] for a in self._allergens] for p in products],
            dtype=np.int8,
        ).reshape(len(products), len(self._allergens))
        self._says_lactose_free = np.array(
            ["sin lactosa" in fold(p.name) for p in products], dtype=bool
        )

    def allowed(self, query: Query) -> Any:
        np = self._np
        mask = np.ones(len(self.ids), dtype=bool)
        if query.chains:
            mask &= np.isin(self._chain, list(query.chains))
        if query.max_price is not None:
            mask &= self._price <= float(query.max_price)
        if query.min_price is not None:
            mask &= self._price >= float(query.min_price)
        for allergen in query.exclude:
            mask &= self._status[:, self._allergens.index(allergen)] < 2
        if query.lactose_free:
            milk = self._status[:, self._allergens.index(Allergen.MILK)]
            mask &= self._says_lactose_free | (milk < 2)
        return mask
