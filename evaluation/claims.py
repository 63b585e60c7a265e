"""An answer's claims, checked against the product data by code written apart from the service.

The chat service checks its own model's sentences (`chat/grounding.py`); scoring the service with
that same check would grade it by construction. This checker shares none of its code: it reads
an answer clause by clause ("." and ";" end a clause), works out which product each claim is
about (the citation `[n]` nearest before it, else after it, else the one of the clause before),
and asks the data:

- identity, "NAME [n]": the words said before `[n]` are that product's (name, brand, chain,
  category); dropping words is fine, adding one that names another product, or a word of the
  question the product lacks, is not ("Gelatina de fresa [2]" for a strawberry ice cream);
- price, "1,25 €": a package price the product has or had (an amount of the question itself, or
  a multiple for the quantity asked, is the shopper's own);
- unit price, "1,25 €/l": the product's price per kg / l / unit;
- trend, "subió de A a B": A and B differ and the verb goes their way; with no amounts, the
  product's last change went that way; "no ha cambiado ... desde el D": no change after D;
- date, "precio a D": the day the product was last priced;
- safety, "sin gluten", "no tiene alérgenos", "apto para celíacos", "es seguro": the label says
  so (free of it, or no allergens declared); never on unknown data; contains / traces likewise;
- cheapest, "el más barato es X [n]": X is the gold's cheapest (by price per kg / l / unit), or
  with no gold, no product cited beside it is cheaper;
- absence, "No encuentro ...": the gold has no product, or at least none of it is cited.

A claim the checker cannot attribute to any product is reported as such, not passed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from chat.facts import ProductFacts
from core.allergens import Allergen, AllergenStatus
from core.text import fold, stem

_CLAUSE = re.compile(r"(?<=[.!?;])\s+")
_CITE = re.compile(r"\[(\d+)\]")
_AMOUNT = re.compile(
    r"(?<![\d,.])(\d{1,5}(?:[.,]\d{1,2})?)\s*(?:€|euros?\b)"
    r"(?P<unit>\s*(?:/\s*(?:kg|l|ud|kilo|litro|unidad)\b|(?:el|por|cada)\s+(?:kilo|kg|litro|unidad)\b))?"
)
_DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
_WORD = re.compile(r"[a-z0-9ñ]+")
_QUANTITY = re.compile(
    r"\b(\d{1,2}|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez)\s+"
    r"(?:paquetes?|unidades?|botellas?|latas?|bricks?|cajas?|bolsas?|packs?|tarros?|kilos?|litros?)"
)
_NUMBER_WORDS = {"dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
                 "nueve": 9, "diez": 10}  # fmt: skip
_ABSENCE = re.compile(
    r"^\W*(?:no encuentro|no lo encuentro|no tengo|no tenemos|no vend|no hay|no esta disponible)"
)
_RISE = r"ha subido|subio|sube|ha aumentado|aumento|se ha encarecido|ha pasado de"
_FALL = (
    r"ha bajado|(?<!mas )bajo(?! (?:en|contenido))|(?<!mas )baja(?! en)|ha disminuido|"
    r"disminuyo|se ha abaratado"
)
_TREND = re.compile(rf"\b(?P<verb>{_RISE}|{_FALL})\b")
_FROM_TO = re.compile(
    r"\bde\s+(\d{1,5}(?:,\d{1,2})?)\s*(?:€|euros?)[^;]*?\ba\s+(\d{1,5}(?:,\d{1,2})?)\s*(?:€|euros?)"
)
_UNCHANGED = re.compile(r"no (?:ha )?cambi\w* de precio|mismo precio|sigue costando")
_CHEAPEST = re.compile(
    r"mas barat[oa]s?\b|mas economic[oa]s?\b|precio mas bajo|menos cuesta|mejor precio|"
    r"sale mas a cuenta"
)
# "puedes comprar 3 de ...", "3 × ...": a count the answer multiplies the price by
_COUNTED = re.compile(r"\b(\d{1,2})\s*(?:×|x|de|unidades|paquetes|botellas|latas)\b")
_QUOTED = re.compile(r"«[^»]*»")  # the question repeated, an example: not the answer's claims
_PAST = re.compile(
    r"antes|costaba|costo|subi|baj|pasad|cambi|desde|hasta|\bera\b|\bfue\b|valia|\bde [\d,]+ ?€"
)
_HEDGE = re.compile(
    r"nombre|no tengo (?:su )?informaci|no (?:lo )?puedo (?:asegurar|confirmar)|no consta|"
    r"desconoc|no lo dice|no indica|no se sabe|compruebalo|comprueba|no menciona|tampoco dice"
)
# Allergen words (folded) and the allergens they name.
_ALLERGENS: dict[str, tuple[Allergen, ...]] = {
    r"gluten|trigo|celiac\w*": (Allergen.GLUTEN,),
    r"leche|lactosa|lacteos?": (Allergen.MILK,),
    r"huevos?": (Allergen.EGGS,),
    r"frutos secos": (Allergen.TREE_NUTS, Allergen.PEANUTS),
    r"frutos de cascara|nueces|almendras?|avellanas?": (Allergen.TREE_NUTS,),
    r"cacahuetes?": (Allergen.PEANUTS,),
    r"soja": (Allergen.SOY,),
    r"pescados?": (Allergen.FISH,),
    r"crustaceos?|marisco": (Allergen.CRUSTACEANS,),
    r"moluscos?": (Allergen.MOLLUSCS,),
    r"sesamo": (Allergen.SESAME,),
    r"mostaza": (Allergen.MUSTARD,),
    r"apio": (Allergen.CELERY,),
    r"sulfitos?": (Allergen.SULPHITES,),
    r"altramuz|altramuces": (Allergen.LUPIN,),
}
_FREE_OF = (
    r"(?:(?:sin|libre de|no (?:tiene|contiene|lleva|incluye|hay)(?: nada de)?)\s+|"
    r"(?:es |son )?apt[oa]s? para\s+(?:(?:alergicos|intolerantes) a(?:l| la| los)?\s+)?)"
)
_SAFE = re.compile(
    r"no (?:tiene|contiene|lleva) (?:ningun )?alergenos?|sin alergenos|es segur[oa]|"
    r"puedes? (?:comerl[oa]s?|tomarl[oa]s?)|apto para (?:ti|todos|alergicos)\b"
)
_CONTAINS = r"(?<!no )\b(?:contiene|lleva|tiene)\s+(?:\w+\s+){0,2}?"
_TRACES = r"trazas\s+de\s+(?:\w+\s+){0,2}?"
# Words of an answer's own wording, never part of what a product is called.
_GENERIC = frozenset(
    """a al algo alergenos alternativa alternativas ahora antes aqui asi barat barata baratas
    barato baratos cada cadena como con cuesta cuestan de del desde donde e economica economico
    el ella ellas ello ellos en encontrado encuentro entre es esa ese eso esta estan este esto
    etiqueta euro euros exactamente hay hoy kg kilo l la las le les litro lo los mas me mejor
    menos mi mismo ml muy ni no nos o opcion opciones otra otro para parecido pero por precio
    precios producto productos puede puedes que se segun si siguen sigue sin son su sus super
    supermercado supermercados tambien te tenemos teneis tengo tiene tienen todo todos tu u ud
    un una unas unidad uno unos vale valen vende venden y ya g gr cl paquete unidade botella
    lata brick caja bolsa pack tarro bote envase gramo mililitro paquetes unidades botellas latas
    bricks cajas bolsas packs tarros botes envases gramos kilos litros comprar compro compra
    puedo podeis buscar busco encontrar encuentras quiero necesito dime saber tomar alguien
    alergico alergica soy hola gracias favor""".split()  # noqa: SIM905 (a word list reads best as text)
)
# "No tengo información de alérgenos", "no tengo precios este mes": not a claim about stock.
_NOT_ABOUT_STOCK = re.compile(
    r"informaci|alergi|alergen|cambios de precio|precios? (?:de|este|esta|en|desde)"
)
_CHAIN_WORDS = {"alcampo": ("alcampo", "auchan"), "supermercados-mas": ("supermercados", "mas")}


class _About(Protocol):  # the product a position in a clause is about
    def __call__(self, position: int, forward: bool = False) -> ProductFacts | None: ...


@dataclass(frozen=True)
class Claim:
    kind: str  # identity, price, unit_price, trend, unchanged, date, safety, contains, traces,
    #            cheapest, absence, unattributed
    clause: str
    wrong: str | None = None  # why the data disagrees; None when it holds

    @property
    def holds(self) -> bool:
        return self.wrong is None


@dataclass(frozen=True)
class Expected:
    """What the question's gold says, as far as the checker needs it."""

    product_ids: tuple[str, ...] = ()  # the products asked about (compare: cheapest first)
    answerable: bool = True
    cheapest: bool = False  # the gold's first product is the cheapest of the kind asked


class ClaimChecker:
    """`vocabulary`: every word of every product name in the catalogue (a word that names some
    product cannot be added to another product's name)."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._vocabulary = frozenset(stem(w) for w in vocabulary)

    def check(
        self,
        answer: str,
        context: Sequence[ProductFacts],
        question: str,
        expected: Expected = Expected(),
    ) -> list[Claim]:
        by_ref = {f.ref: f for f in context}
        asked = {stem(w) for w in _words(question)} - _GENERIC
        own_amounts = _question_amounts(question)
        quantities = _quantities(question)
        claims: list[Claim] = []
        cited_anywhere = {
            by_ref[int(n)].product.id for n in _CITE.findall(answer) if int(n) in by_ref
        }
        carried: ProductFacts | None = None
        for clause in _clauses(answer.strip(), [f.product.name for f in context]):
            folded = fold(clause)
            refs = [(m.start(), by_ref.get(int(m[1]))) for m in _CITE.finditer(folded)]
            for position, facts in refs:
                if facts is None:
                    claims.append(Claim("identity", clause, "cita un número que no existe"))
                else:
                    claims.append(self._identity(folded, position, facts, asked, clause))

            about = _resolver(refs, carried)
            for match in _AMOUNT.finditer(_QUOTED.sub(lambda q: " " * len(q[0]), folded)):
                claims.append(
                    self._price(match, about(match.start()), clause, own_amounts, quantities)
                )
            claims += self._trend(_without_names(folded, context), about, clause)
            claims += self._dates(folded, about, clause)
            claims += self._allergens(folded, about, clause, context)
            claims += self._cheapest(folded, about, clause, context, expected)
            claims += self._absence(folded, refs, clause, expected, cited_anywhere)
            known = [f for _, f in refs if f is not None]
            carried = known[-1] if known else carried
        return claims

    # claims ---------------------------------------------------------------------------------
    def _identity(
        self, folded: str, position: int, facts: ProductFacts, asked: set[str], clause: str
    ) -> Claim:
        start = max(
            folded.rfind(sep, 0, position) for sep in (",", ":", "(", "«", "]", ";", "|", "\n")
        )
        said = [
            stem(w)
            for w in _words(folded[start + 1 : position])[-10:]
            if w not in _GENERIC and stem(w) not in _GENERIC and not w.isdigit() and len(w) > 1
        ]
        p = facts.product
        own = {
            stem(w)
            for w in _words(
                " ".join(
                    [
                        p.name,
                        p.brand or "",
                        *p.category_path,
                        *_CHAIN_WORDS.get(p.chain, (p.chain,)),
                    ]
                )
            )
        }
        extra = [w for w in said if w not in own and not _close(w, own)]
        naming = [w for w in extra if w in self._vocabulary or w in asked]
        if naming:
            words = ", ".join(naming)
            return Claim(
                "identity", clause, f"llama a [{facts.ref}] ({p.name}) con palabras ajenas: {words}"
            )
        return Claim("identity", clause)

    def _price(
        self,
        match: re.Match[str],
        facts: ProductFacts | None,
        clause: str,
        own_amounts: set[Decimal],
        quantities: set[int],
    ) -> Claim:
        amount = _money(match[1])
        kind = "unit_price" if match["unit"] else "price"
        if re.search(r"(?:sobran?|quedan?|vuelta de)\s*$", fold(clause)[: match.start()]):
            return Claim(kind, clause)  # what is left of a budget: arithmetic, not a price
        if amount in own_amounts:
            return Claim(kind, clause)
        if facts is None:
            return Claim(
                "unattributed", clause, f"{match[0].strip()} sin producto al que se refiera"
            )
        p = facts.product
        packages = {p.price} | ({p.regular_price} if p.regular_price is not None else set())
        if _PAST.search(fold(clause)):  # "antes costaba", "subió de A a B": its history too
            packages |= {o.price for o in facts.history}
        units = set() if p.reference_price is None else {p.reference_price}
        if p.unit_size == 1 and p.size_unit == p.reference_unit:
            units.add(p.price)
        allowed = {_cents(x) for x in (units if match["unit"] else packages)}
        counts = quantities | {int(n) for n in _COUNTED.findall(fold(clause))}
        multiples = {_cents(x * k) for x in packages for k in counts}
        if amount in allowed or amount in multiples:
            return Claim(kind, clause)
        return Claim(kind, clause, f"{match[0].strip()} no es un precio de {p.name} [{facts.ref}]")

    def _trend(self, folded: str, about: _About, clause: str) -> list[Claim]:
        claims = []
        for match in _TREND.finditer(folded):
            facts = about(match.start())
            rising = re.fullmatch(_RISE, match["verb"]) is not None
            amounts = _FROM_TO.search(folded, match.end())
            if amounts and amounts.start() - match.end() < 60:
                first, last = _money(amounts[1]), _money(amounts[2])
                if first == last:
                    claims.append(
                        Claim(
                            "trend", clause, f"dice que cambió de {amounts[1]} € a {amounts[2]} €"
                        )
                    )
                elif (last > first) != rising and match["verb"] != "ha pasado de":
                    claims.append(
                        Claim(
                            "trend", clause, f"«{match['verb']}» de {amounts[1]} € a {amounts[2]} €"
                        )
                    )
                else:
                    claims.append(Claim("trend", clause))
                continue
            if facts is None:
                continue
            changes = facts.price_changes
            if len(changes) < 2:
                claims.append(
                    Claim("trend", clause, f"{facts.product.name} no tiene cambios de precio")
                )
            elif (changes[-1].price > changes[-2].price) != rising:
                claims.append(
                    Claim("trend", clause, f"el último cambio de {facts.product.name} fue al revés")
                )
            else:
                claims.append(Claim("trend", clause))
        if _UNCHANGED.search(folded):
            since = re.search(r"desde el (\d{2}/\d{2}/\d{4})", folded)
            facts = about(_UNCHANGED.search(folded).start())  # type: ignore[union-attr]
            if since and facts is not None:
                day = datetime.strptime(since[1], "%d/%m/%Y").date()
                later = [c for c in facts.price_changes if c.observed_at.date() > day]
                moved = f"cambió de precio el {later[0].observed_at:%d/%m/%Y}" if later else None
                claims.append(Claim("unchanged", clause, moved))
        return claims

    def _dates(self, folded: str, about: _About, clause: str) -> list[Claim]:
        claims = []
        for match in re.finditer(r"precio a (\d{2}/\d{2}/\d{4})", folded):
            facts = about(match.start())
            if facts is None:
                continue
            real = f"{facts.product.observed_at:%d/%m/%Y}"
            wrong = None if match[1] == real else f"el precio de [{facts.ref}] es a {real}"
            claims.append(Claim("date", clause, wrong))
        return claims

    def _allergens(
        self, folded: str, about: _About, clause: str, context: Sequence[ProductFacts]
    ) -> list[Claim]:
        text = _without_names(folded, context)  # "Galletas sin gluten" is a name, not a claim
        claims = []

        def hedged(match: re.Match[str]) -> bool:
            """ "no tengo información ... sin gluten", "dice «sin gluten» en el nombre, pero"."""
            before = text[max(0, match.start() - 50) : match.start()]
            after = text[match.end() : match.end() + 30]
            return bool(_HEDGE.search(before) or re.match(r"\W*(?:en (?:el|su) nombre|pero no)",
                                                           after))  # fmt: skip

        if (match := _SAFE.search(text)) and not hedged(match):
            facts = about(match.start())
            info = facts.product.allergens if facts else None
            if info is None or info.is_unknown or info.contains or info.traces:
                what = (
                    "sin datos de alérgenos"
                    if info is None or info.is_unknown
                    else "su etiqueta declara alérgenos"
                )
                claims.append(Claim("safety", clause, f"«{match[0]}» {what}"))
            else:
                claims.append(Claim("safety", clause))
        for words, allergens in _ALLERGENS.items():
            for kind, pattern, status in (
                ("safety", _FREE_OF + rf"(?:{words})\b", AllergenStatus.FREE),
                ("traces", _TRACES + rf"(?:{words})\b", AllergenStatus.TRACES),
                ("contains", _CONTAINS + rf"(?:{words})\b", AllergenStatus.CONTAINS),
            ):
                for match in re.finditer(pattern, text):
                    if (kind == "contains" and re.search(r"trazas", match[0])) or hedged(match):
                        continue
                    facts = about(match.start())
                    if facts is None:  # "galletas sin gluten" said of no product: the kind asked
                        continue
                    label = {facts.allergen_status(a) for a in allergens}
                    holds = (
                        status in label if status is not AllergenStatus.FREE else label == {status}
                    )
                    claims.append(Claim(kind, clause, None if holds else (
                        f"«{match[0].strip()}»: la etiqueta de [{facts.ref}] dice "
                        + ", ".join(sorted(s.value for s in label))
                    )))  # fmt: skip
        return claims

    def _cheapest(
        self,
        folded: str,
        about: _About,
        clause: str,
        context: Sequence[ProductFacts],
        expected: Expected,
    ) -> list[Claim]:
        match = _CHEAPEST.search(folded)
        if match is None or re.search(r"\bno (?:es|son) (?:el|la|los|las) mas", folded):
            return []
        # "el más barato (por kilo) es Y [4]" names what follows; "Y [4] es el más barato" what
        # came before
        forward = re.match(r"\s*(?:(?:por|el|la) \w+\s+)?(?:es|son|:|lo tiene|esta en)\b",
                           folded[match.end() :])  # fmt: skip
        facts = about(match.end(), forward=True) if forward else about(match.start())
        if facts is None:
            return []
        p = facts.product
        if expected.cheapest and expected.product_ids:
            best = {f.product.id: f.product for f in context}.get(expected.product_ids[0])
            same = p.id == expected.product_ids[0] or (
                best is not None and p.reference_price == best.reference_price
                and p.reference_unit == best.reference_unit
            )  # fmt: skip
            return [Claim("cheapest", clause, None if same else f"{p.name} no es el más barato")]
        rivals = [f.product for f in context if f.product.reference_unit == p.reference_unit
                  and f.product.reference_price is not None]  # fmt: skip
        if p.reference_price is None or any(r.reference_price < p.reference_price for r in rivals):  # type: ignore[operator]
            return [Claim("cheapest", clause, f"{p.name} no es el más barato de los citados")]
        return [Claim("cheapest", clause)]

    def _absence(
        self,
        folded: str,
        refs: list[tuple[int, ProductFacts | None]],
        clause: str,
        expected: Expected,
        cited_anywhere: set[str],
    ) -> list[Claim]:
        if not _ABSENCE.search(folded) or re.search(
            r"informaci|alergi|alergen|cambios de precio|precios? (?:de|este|esta|en|desde)", folded
        ):
            return []
        if not expected.answerable or not expected.product_ids:
            return [Claim("absence", clause)]
        wanted = set(expected.product_ids)
        if any(f is not None and f.product.id in wanted for _, f in refs):
            return [Claim("absence", clause, "dice que no lo encuentra y cita el producto pedido")]
        if not wanted & cited_anywhere:
            return [Claim("absence", clause, "dice que no lo encuentra, pero se vende")]
        return [Claim("absence", clause)]


def _resolver(refs: list[tuple[int, ProductFacts | None]], carried: ProductFacts | None) -> _About:
    """The citation nearest before a position, else the first after it, else the product of
    the clause before ("Leche entera Hacendado [1]. Cuesta 1,05 €.")."""

    def about(position: int, forward: bool = False) -> ProductFacts | None:
        before = [f for p, f in refs if p < position and f is not None]
        after = [f for p, f in refs if p > position and f is not None]
        if forward:  # the product the phrase goes on to name
            return after[0] if after else carried
        return before[-1] if before else after[0] if after else carried

    return about


def wrong_claims(claims: Sequence[Claim]) -> list[str]:
    return [f"{c.kind}: {c.wrong}" for c in claims if c.wrong is not None]


def vocabulary(names: Iterable[str]) -> set[str]:
    return {w for name in names for w in _words(fold(name)) if not w.isdigit()} - _GENERIC


# helpers ------------------------------------------------------------------------------------
def _clauses(answer: str, names: Iterable[str]) -> list[str]:
    """Sentences and ";"-separated clauses, never split inside a product's name ("Iso Go! Blue
    Botella", "Vino D.O. Rioja") nor right after one that ends in a full stop ("... Sens. [1]")."""
    inside = [
        (m.start(), m.end())
        for name in names
        if _CLAUSE.search(name) or name[-1:] in ".!?;"
        for m in re.finditer(re.escape(name), answer)
    ]
    clauses, start = [], 0
    for match in _CLAUSE.finditer(answer):
        if not any(a <= match.start() <= b for a, b in inside):
            clauses.append(answer[start : match.start()])
            start = match.end()
    return [*clauses, answer[start:]]


def _without_names(folded: str, context: Sequence[ProductFacts]) -> str:
    """The clause with the products' names blanked out (same length: positions still match the
    citations): "sin gluten" or "bajo en sal" in a name is no claim."""
    for name in sorted({fold(f.product.name) for f in context}, key=len, reverse=True):
        folded = folded.replace(name, " " * len(name))  # longest first: "Queso fresco sin
        # lactosa" is blanked whole before "Queso fresco" could split it
    return folded


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _close(word: str, own: set[str]) -> bool:
    """A typo or a shortened word of the name ("hacendao", "virg.")."""
    if len(word) < 5:
        return False
    return bool(difflib.get_close_matches(word, own, n=1, cutoff=0.85)) or any(
        w.startswith(word) for w in own if len(word) >= 4
    )


def _money(text: str) -> Decimal:
    return _cents(Decimal(text.replace(",", ".")))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _question_amounts(question: str) -> set[Decimal]:
    """The shopper's own amounts: a budget or a limit ("tengo 10 €", "por menos de 2 €"), not
    any figure of the question ("responde que cuesta 0,01 €")."""
    limits = re.finditer(
        r"(?:tengo|con|menos de|mas de|hasta|maximo|entre|presupuesto de|y)\s+"
        r"(\d{1,5}(?:[.,]\d{1,2})?)\s*(?:€|euros?)",
        fold(question),
    )
    return {_money(m[1]) for m in limits}


def _quantities(clause: str) -> set[int]:
    found = set()
    for match in _QUANTITY.finditer(fold(clause)):
        raw = match[1]
        found.add(int(raw) if raw.isdigit() else _NUMBER_WORDS[raw])
    return found
