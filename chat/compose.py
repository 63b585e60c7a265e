"""Answers composed from the data alone: the reference the model's answers are checked against,
the replacement when a model answer cannot be trusted, and the only source of allergen claims
(a small model got allergens wrong even after training: see ARCHITECTURE.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from chat.facts import CITATION, ProductFacts, day, money, reference, size
from core.allergens import ALLERGEN_NAMES_ES, Allergen, AllergenStatus
from core.chains import chain_name
from core.domain import ReferenceUnit, utcnow
from core.text import fold, search_terms
from retrieval.names import common_unit, said_whole
from retrieval.query import Intent, Query

NOT_FOUND = "No encuentro ese producto en los supermercados que sigo"
REFUSAL = "Solo puedo ayudarte con productos, precios y alérgenos de los supermercados."
ALLERGEN_DISCLAIMER = (
    "Comprueba siempre la etiqueta del envase: los fabricantes cambian recetas, y cuando no "
    "tengo información no significa que el producto sea seguro."
)
_ALLERGEN_WORDS = re.compile(r"alerg|gluten|lactosa|trazas|celiac|contiene|intoleran|vegan")
UNIT_NAMES = {ReferenceUnit.KG: "kilo", ReferenceUnit.L: "litro", ReferenceUnit.UNIT: "unidad",
               ReferenceUnit.M: "metro"}  # fmt: skip


EXAMPLES = (
    "«¿Dónde está más barato el aceite de oliva virgen extra?»",
    "«¿Qué galletas sin gluten hay por menos de 2 €?»",
    "«¿Cuánto cuesta la leche entera en Mercadona?»",
)
_THANKS = re.compile(r"gracias|eso es todo|adios|hasta luego|vale")


def asks_about_allergens(query: Query) -> bool:
    return bool(
        query.exclude
        or query.asked
        or query.lactose_free
        or _ALLERGEN_WORDS.search(fold(query.original))
    )


def conversation(query: Query) -> str:
    """A greeting, thanks or "¿qué puedes hacer?": what the assistant does, with examples."""
    examples = ", ".join(EXAMPLES[:-1]) + " o " + EXAMPLES[-1]
    if _THANKS.search(fold(query.original)):
        return f"¡De nada! Cuando quieras, pregúntame por ejemplo {examples}"
    return (
        "¡Hola! Soy SuperSmart: te digo el precio de un producto en cada supermercado, dónde "
        "sale más barato por kilo o litro, si ha subido y qué dice su etiqueta de alérgenos. "
        f"Prueba por ejemplo {examples}"
    )


def totals(query: Query, facts: Sequence[ProductFacts]) -> str | None:
    """What a quantity costs ("3 paquetes de ...") or how many a budget buys ("tengo 10 €"),
    computed from the first product's package price, never by the model."""
    if not facts or (query.quantity is None and query.budget is None):
        return None
    if not matches_exactly(query, facts):  # no total for "lo más parecido"
        return None
    f = facts[0]
    p = f.product
    each = f"{money(p.price)} cada uno, precio a {day(p.observed_at)}"
    if query.quantity is not None:
        total = p.price * query.quantity
        return f"{query.quantity} × {p.name} [{f.ref}] cuestan {money(total)} ({each})."
    budget = query.budget or Decimal(0)
    units = int(budget // p.price)
    if units == 0:
        return f"Con {money(budget)} no llega para {p.name} [{f.ref}] ({each})."
    rest = budget - units * p.price
    return (
        f"Con {money(budget)} puedes comprar {units} de {p.name} [{f.ref}] ({each}): "
        f"{money(units * p.price)}, y te sobran {money(rest)}."
    )


def matches_exactly(query: Query, facts: Sequence[ProductFacts]) -> bool:
    """The best product holds every word searched for (else we offer "lo más parecido"); when
    two products are compared, each is among those found."""
    return not _missing(query, facts)


def _missing(query: Query, facts: Sequence[ProductFacts]) -> str | None:
    """What was asked for and not found (its words as written), or None."""
    if query.alternatives:
        for alternative in query.alternatives:
            if not any(_holds(alternative, f) for f in facts):
                return alternative.written
        named = [_named(a, facts) for a in query.alternatives]
        if len({f.ref for f in named}) < len(named):  # one product for both: one is not there
            for alternative, f in zip(query.alternatives, named, strict=True):
                if not _fit(alternative, f)[1]:
                    return alternative.written
        return None
    if not facts or (search_terms(query.text) and not _holds(query, facts[0])):
        return query.written
    return None


def _related(query: Query, f: ProductFacts) -> bool:
    """The product shares at least half of the words asked for ("lo más parecido" worth
    offering: "Turrón de chocolate" for "turrón de wasabi", not "Muslitos de mar" for "un poema
    sobre el mar")."""
    p = f.product
    terms = set(search_terms(query.text))
    words = set(search_terms(" ".join([p.name, p.brand or "", *p.category_path])))
    return 2 * len(terms & words) >= len(terms)


def _holds(query: Query, f: ProductFacts) -> bool:
    """The product is what was asked: it holds every word, or the question its whole name."""
    p = f.product
    words = set(search_terms(" ".join([p.name, p.brand or "", *p.category_path])))
    terms = search_terms(query.text)
    return set(terms) <= words or said_whole(p, terms)


def _named(alternative: Query, facts: Sequence[ProductFacts]) -> ProductFacts:
    """The product one of two compared names (one holds it: `_missing`): in the chain it
    names, holding every word, before one whose whole name is merely said ("... Coosur" is not
    "Aceite de oliva virgen extra Hacendado" less a word)."""
    held = [f for f in facts if _holds(alternative, f)]
    return max(held, key=lambda f: _fit(alternative, f))  # the first of the best: retrieval order


def _fit(alternative: Query, f: ProductFacts) -> tuple[bool, bool]:
    """(in the chain named, if any; holds every word named)."""
    p = f.product
    words = set(search_terms(" ".join([p.name, p.brand or "", *p.category_path])))
    return (
        not alternative.chains or p.chain in alternative.chains,
        set(search_terms(alternative.text)) <= words,
    )


def describe(f: ProductFacts, with_chain: bool = True) -> str:
    """ "Leche entera Hacendado [1] en Mercadona, 1 l, 0,95 € (0,95 €/l) a 20/11/2026"."""
    p = f.product
    text = f"{p.name} [{f.ref}]"
    if with_chain:
        text += f" en {chain_name(p.chain)}"
    if (amount := size(p)) is not None and amount not in p.name:
        text += f", {amount}"
    price = money(p.price)
    if (unit := reference(p)) is not None:
        price += f" ({unit})"
    return f"{text}, {price} a {day(p.observed_at)}"


def not_found(query: Query, alternatives: Sequence[ProductFacts]) -> str:
    what = f" «{query.written}»" if query.written.strip() else ""
    text = NOT_FOUND.replace("ese producto", f"ese producto{what}" if what else "ese producto")
    limits = _constraints(query)
    text += f" ({limits})." if limits else "."
    if alternatives:
        text += " Lo más parecido que tengo: " + "; ".join(map(describe, alternatives)) + "."
    elif not limits:
        text += " " + REFUSAL
    return text


def _constraints(query: Query) -> str:
    parts = []
    if query.chains:
        parts.append("en " + ", ".join(chain_name(c) for c in sorted(query.chains)))
    if query.max_price is not None:
        parts.append(f"por menos de {money(query.max_price)}")
    if query.min_price is not None:
        parts.append(f"por más de {money(query.min_price)}")
    if query.exclude:
        parts.append("sin " + ", ".join(sorted(ALLERGEN_NAMES_ES[a] for a in query.exclude)))
    if query.lactose_free:
        parts.append("sin lactosa")
    return ", ".join(parts)


def compose(query: Query, facts: Sequence[ProductFacts], now: datetime | None = None) -> str:
    """The whole answer from the data: what was found, priced and dated, with citations."""
    if Intent.CHAT in query.intents:
        return conversation(query)
    if not facts:
        return not_found(query, ())
    missing = _missing(query, facts)
    if missing and not query.alternatives:
        facts = [f for f in facts if _related(query, f)]
        if not facts:  # nothing shares most of the words asked: no list of unrelated products
            return not_found(query, ())
    prefix = f"No encuentro exactamente «{missing}». Lo más parecido: " if missing else ""
    if Intent.HISTORY in query.intents:
        body = " ".join(history(f, query, now or utcnow()) for f in facts[:3])
    elif Intent.CHEAPEST in query.intents or Intent.COMPARE in query.intents:
        body = comparison(facts, query.unit)
    else:
        body = "Tengo " + "; ".join(map(describe, budget_first(query, facts))) + "."
    if prefix:
        body = body[0].lower() + body[1:]
    text = prefix + body
    if (total := totals(query, facts)) is not None:
        text += " " + total
    if asks_about_allergens(query):
        text += " " + allergens(query, facts)
    return text


def lists(query: Query) -> bool:
    """ "¿Qué galletas hay por menos de 2 €?" asks for every product under the limit (each
    product found meets it), not for one of them."""
    return (
        query.max_price is not None
        and not query.alternatives
        and not query.intents & {Intent.CHEAPEST, Intent.COMPARE, Intent.HISTORY}
    )


def budget_first(query: Query, facts: Sequence[ProductFacts]) -> list[ProductFacts]:
    """Every product found (each meets the question's limits); for a budget question ("por
    menos de 2 €") the cheapest package first."""
    if query.max_price is None:
        return list(facts)
    return sorted(facts, key=lambda f: f.product.price)


def comparison(facts: Sequence[ProductFacts], asked: ReferenceUnit | None = None) -> str:
    """Cheapest first by price per kg/l/ud (the unit asked for when some product has it, else
    the most common); products sold by another unit are set apart. Sorted here, whatever order
    retrieval gave (certain allergen answers first, prices that moved since the index was
    built): "el más barato" must be true."""
    unit, comparable = by_unit_price(facts, asked)
    if unit is None:
        return (
            "No tengo su precio por kilo, litro o unidad, así que no puedo decir cuál sale más "
            "barato. Tengo " + "; ".join(map(describe, facts)) + "."
        )
    apart = [f for f in facts if f not in comparable]
    text = f"El más barato por {UNIT_NAMES[unit]} es {describe(comparable[0])}."
    if len(comparable) > 1:
        follow = "Le sigue" if len(comparable) == 2 else "Le siguen"
        text += f" {follow} " + "; ".join(describe(f) for f in comparable[1:]) + "."
    if apart:
        refs = ", ".join(f"{f.product.name} [{f.ref}]" for f in apart)
        verb = "no es comparable" if len(apart) == 1 else "no son comparables"
        text += (
            f" {refs} {verb}: no tiene{'n' if len(apart) > 1 else ''} precio por la misma unidad."
        )
    return text


def by_unit_price(
    facts: Sequence[ProductFacts], asked: ReferenceUnit | None
) -> tuple[ReferenceUnit | None, list[ProductFacts]]:
    """The unit compared in and the products priced in it, cheapest first."""
    priced = [f for f in facts if f.product.reference_price and f.product.reference_unit]
    unit = common_unit([f.product for f in priced], asked)
    comparable = sorted(
        (f for f in priced if unit is not None and f.product.reference_unit == unit),
        key=lambda f: f.product.reference_price or 0,
    )
    return unit, comparable


def leads(query: Query, facts: Sequence[ProductFacts]) -> frozenset[int] | None:
    """What any answer must cite, as the data decides it: the product asked for (each of two
    compared; the cheapest of a kind). None when the data has not what was asked: then the
    only right answer says so ("No encuentro ...")."""
    if not facts or _missing(query, facts):
        return None
    if query.alternatives:
        return frozenset(_named(a, facts).ref for a in query.alternatives)
    if query.intents & {Intent.CHEAPEST, Intent.COMPARE}:
        _, comparable = by_unit_price(facts, query.unit)
        return frozenset({(comparable or list(facts))[0].ref})
    return frozenset({facts[0].ref})


_UP = re.compile(r"\b(?:ha subido|han subido|subio|subieron|sube|se ha encarecido|mas caro)\b")
_DOWN = re.compile(r"\b(?:ha bajado|han bajado|bajo|bajaron|baja|se ha abaratado)\b")
_SAME = re.compile(r"\bno (?:ha )?cambi\w*|\bmismo precio|\bsigue costando")


def direction(text: str) -> str | None:
    """ "up", "down" or "same", as an answer about a price's history says it (None: silent
    or both)."""
    folded = fold(text)
    said = {name for name, pattern in (("up", _UP), ("down", _DOWN), ("same", _SAME))
            if pattern.search(folded)}  # fmt: skip
    return said.pop() if len(said) == 1 else None


def disagreement(
    query: Query, facts: Sequence[ProductFacts], answer: str, now: datetime
) -> str | None:
    """Why a checked answer still says something other than the data (None: it agrees): it
    does not cite the product the data points to, says "No encuentro" for it, or tells a price
    history's direction the other way."""
    wanted = leads(query, facts)
    if wanted is None:
        return None if _refuses(answer) else "los datos no tienen lo pedido y no lo dice"
    if _refuses(answer):
        return "dice que no lo encuentra, y los datos lo tienen"
    cited = {int(n) for n in CITATION.findall(answer)}
    if not wanted <= cited:
        return f"no cita {', '.join(f'[{n}]' for n in sorted(wanted - cited))}"
    if lists(query) and not {f.ref for f in facts} <= cited:
        return "la pregunta pide la lista de lo que cumple el límite y no la da entera"
    lead = next(f for f in facts if f.ref == min(wanted))
    if Intent.HISTORY in query.intents:
        story = history(lead, query, now)
        said, true = direction(answer), direction(story)
        if said != true:
            return f"dice que el precio {said or '(nada)'}, y los datos dicen {true}"
        pairs = _FROM_TO.findall(answer)
        if any(a == b for a, b in pairs):
            return "dice que cambió de un precio al mismo"
        truth = _FROM_TO.findall(story)
        if pairs and truth and pairs[0] != truth[0]:
            (a, b), (c, d) = pairs[0], truth[0]
            return f"dice de {a} € a {b} €, y los datos de {c} € a {d} €"
        return None
    if asks_about_allergens(query) and _LABEL_TALK.search(_unnamed(answer, facts)):
        return "habla de la etiqueta: eso lo dicen los datos"
    figures = _figures(query, lead)
    if not any(figure in answer for figure in figures):
        return f"no da {' ni '.join(figures)}, lo que se pregunta"
    return None


# What only the label data may say: a yes or no to an allergen question, "puedes comerlo",
# "apto", "sin gluten", "contiene", "información de" (the composed allergen lines follow).
_LABEL_TALK = re.compile(
    r"^\W*(?:si|no)\b|\b(?:puedes?|puedo|podeis)\s+(?:comer|tomar|beber)|\bapt[oa]s?\b|"
    r"\bsegur[oa]\b|\bsin\s+(?:gluten|leche|lactosa|huevo|trazas)|\bcontiene|\btrazas|\balergen|"
    r"\binformacion\b|\bceliac"
)
_FROM_TO = re.compile(r"\bde\s+(\d+,\d{2})\s*€[^.;]*?\ba\s+(\d+,\d{2})\s*€")


def _unnamed(answer: str, facts: Sequence[ProductFacts]) -> str:
    """The folded answer without the products' names ("Galletas sin gluten" is a name)."""
    text = fold(answer)
    for name in sorted({fold(f.product.name) for f in facts}, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def _figures(query: Query, lead: ProductFacts) -> list[str]:
    """The figures that answer the question, any of them: the price per kg / l / unit when one
    is asked for ("por kilo"), else the package price or, for "the cheapest", either."""
    p = lead.product
    if p.reference_price is None:
        return [money(p.price)]
    if query.unit is not None:
        return [money(p.reference_price)]
    if query.intents & {Intent.CHEAPEST, Intent.COMPARE}:
        return [money(p.reference_price), money(p.price)]
    return [money(p.price)]


def _refuses(answer: str) -> bool:
    return answer.startswith(("No encuentro", REFUSAL))


def period_days(query: Query, now: datetime) -> tuple[str, ...]:
    """Days an answer may name that are no price's own: the start of the period asked (the
    composed history gives the price in force that day)."""
    return (day(query.period.bounds(now)[0]),) if query.period is not None else ()


def history(f: ProductFacts, query: Query, now: datetime) -> str:
    """The price story the question asks for: the last change, or, for a period ("este mes",
    "desde octubre de 2023"), the price at its start, the price at its end, the direction and
    the dates. `now` places a relative period on the calendar (the service's clock)."""
    p = f.product
    head = f"{p.name} [{f.ref}] en {chain_name(p.chain)}"
    changes = f.price_changes
    tail = f"; precio a {day(p.observed_at)}: {money(p.price)}."
    if query.period is None:
        if len(changes) < 2:
            return (
                f"{head} cuesta {money(p.price)} (precio a {day(p.observed_at)}) y no tengo "
                "cambios de precio registrados."
            )
        before, last = changes[-2], changes[-1]
        moved = "subido" if last.price > before.price else "bajado"
        return (
            f"{head} ha {moved} de {money(before.price)} a {money(last.price)} el "
            f"{day(last.observed_at)}" + tail
        )
    period = query.period
    start, end = period.bounds(now)
    end = min(end, now)  # "en noviembre" asked on the 25th: up to now, and in the present
    past = period.kind in ("during", "previous") and end < now
    if p.observed_at < start or not changes:
        return (
            f"{head}: no tengo precios {period.label}; el último que tengo es "
            f"{money(p.price)}, a {day(p.observed_at)}."
        )
    in_force = [c for c in changes if c.observed_at <= start]
    inside = [c for c in changes if start < c.observed_at and (c.observed_at < end or
              (not past and c.observed_at == end))]  # fmt: skip
    note = ""
    if in_force:
        base, base_day = in_force[-1], day(start)
    elif inside:  # the data begins inside the period
        base, inside = inside[0], inside[1:]
        base_day = day(base.observed_at)
        note = f" (no tengo precios anteriores al {base_day})"
    else:  # the period ended before the first price I have
        first = changes[0]
        return (
            f"{head}: no tengo precios {period.label}; el primero que tengo es "
            f"{money(first.price)}, del {day(first.observed_at)}" + tail
        )
    if not inside:
        verb = "no cambió de precio" if past else "no ha cambiado de precio"
        costs = "costaba" if past else "cuesta"
        return (
            f"{head} {verb} {period.label}{note}: {costs} {money(base.price)} desde el "
            f"{day(base.observed_at)}" + tail
        )
    final = inside[-1]
    if final.price == base.price:
        moved = "cambió de precio y volvió a" if past else "ha cambiado de precio y vuelve a"
        return (
            f"{head} {moved} costar {money(base.price)} {period.label}{note} "
            f"({len(inside)} cambios, el último el {day(final.observed_at)})" + tail
        )
    rose = final.price > base.price
    verb = ("subió" if rose else "bajó") if past else ("ha subido" if rose else "ha bajado")
    text = (
        f"{head} {verb} {period.label}{note}: de {money(base.price)} el {base_day} a "
        f"{money(final.price)} el {day(final.observed_at)}"
    )
    if len(inside) > 1:
        text += f" ({len(inside)} cambios)"
    return text + tail


def allergens(query: Query, facts: Sequence[ProductFacts]) -> str:
    """Per product, what its label says about the allergens asked for (or all it declares)."""
    asked = sorted(query.exclude | query.asked | ({Allergen.MILK} if query.lactose_free else set()))
    lines = []
    for f in facts:
        info = f.product.allergens
        if not asked:
            if info.is_unknown:
                lines.append(f"[{f.ref}] no tiene información de alérgenos")
                continue
            contains = sorted(ALLERGEN_NAMES_ES[a] for a in info.contains)
            traces = sorted(ALLERGEN_NAMES_ES[a] for a in info.traces)
            text = (
                f"[{f.ref}] contiene {', '.join(contains)}"
                if contains
                else (f"[{f.ref}] no declara alérgenos")
            )
            if traces:
                text += f" y puede contener trazas de {', '.join(traces)}"
            lines.append(text)
            continue
        for allergen in asked:
            lines.append(f"[{f.ref}] {_status_text(f, allergen)}")
    return "Alérgenos según la etiqueta: " + "; ".join(lines) + ". " + ALLERGEN_DISCLAIMER


def _status_text(f: ProductFacts, allergen: Allergen) -> str:
    name = ALLERGEN_NAMES_ES[allergen]
    status = f.allergen_status(allergen)
    if status is AllergenStatus.FREE:
        return f"sin {name} según la etiqueta"
    if status is AllergenStatus.CONTAINS:
        return f"contiene {name}"
    if status is AllergenStatus.TRACES:
        return f"puede contener trazas de {name}"
    if allergen is Allergen.GLUTEN and "sin gluten" in fold(f.product.name):
        return "dice «sin gluten» en el nombre, pero no tengo su declaración de alérgenos"
    if f.product.allergens.is_unknown:
        return f"no tengo su información de alérgenos: no puedo asegurar que no tenga {name}"
    return f"no menciona {name} en sus alérgenos, pero tampoco dice que esté libre de {name}"
