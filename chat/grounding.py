"""The grounding check: every price, size, EAN, date and allergen statement in an answer must
match the products it cites (or, uncited, the product the sentence before it cited last, as in
"Leche entera Hacendado [1]. Cuesta 1,05 €."). A price must be the price of the very product
it is said of, the one cited next to it, not of any product cited in the sentence; a price in
an answer that has cited nothing yet belongs to no product and fails, even when some product
in the context costs that (the shopper cannot tell which one it is).

Answers are checked sentence by sentence, so a stream can show each sentence once it holds
and drop the ones that do not. A sentence that repeats the prompt (small base models echo it)
is dropped too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from chat.facts import CITATION, ProductFacts
from core.allergens import Allergen, AllergenStatus
from core.chains import chain_name
from core.domain import ReferenceUnit
from core.text import amount, fold, search_terms
from retrieval.period import MONTHS

# A figure is read whole, every digit and separator of it ("2.008,95 €" and "1 008,95 €" are no
# 8,95 €, and "8,955 €" is no amount: it fails), with the euro sign after or before it ("€8,95").
_FIGURE = r"\d{1,3}(?: \d{3})+(?:,\d+)?|\d(?:[\d.,'’]*\d)?"
_PER = (
    r"(\s*/\s*(?:kg|kilo|l|litro|ud|unidad)\b"
    r"|\s+(?:el|por|cada)\s+(?:kg|kilo|l|litro|unidad)\b)?"
)
_PRICE = re.compile(
    rf"({_FIGURE})\s*(?:€|euros?\b|eur\b){_PER}|€\s*({_FIGURE}){_PER}"
)  # a per-kg/l/unit price must be a reference price; a bare one, a package price
_SIZE = re.compile(
    r"(?<![\d,.])(\d+(?:[.,]\d+)?)\s*"
    r"(kg|kilos?|kilogramos?|g|gr|gramos?|l|litros?|ml|mililitros?|cl|centilitros?)\b"
)
_EAN = re.compile(r"(?<!\d)(\d{13}|\d{8})(?!\d)")
_QUOTED = re.compile(r"«[^»]*»")
_CHEAP = r"(?:barat|economic|asequible)"
# "the cheapest" however it is said: "el más barato", "la opción más económica", "donde menos
# cuesta", "el mejor precio", "el precio más bajo" (not "el segundo más barato").
_CHEAPEST = re.compile(
    rf"\b(?:el|la|lo|los|las)(?:\s+(?!segund|tercer|siguiente)\w+)?\s+mas\s+{_CHEAP}"
    rf"|\bdonde\s+(?:menos\s+cuesta|(?:sale\s+|esta\s+|es\s+)?mas\s+{_CHEAP})"
    r"|\bque\s+menos\s+cuesta|\bel\s+(?:mejor|menor)\s+precio|\bprecio\s+mas\s+bajo"
)
# "[1] es más barato que [2]", "[1] cuesta menos que [2]"
_CHEAPER = re.compile(rf"\bmas\s+{_CHEAP}\w*\s+que\b|\bcuesta\s+menos\s+que\b")
# A date however written: 01/11/2026, 1/11/2026, 01-11-2026, 01.11.2026, 2026-11-01, "1 de
# noviembre de 2026", and "1 de noviembre" (that day of the month, in any year of the data).
_DATE = re.compile(
    r"\b(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})"
    rf"|(\d{{1,2}})\s+de\s+({'|'.join((*MONTHS, 'setiembre'))})(?:\s+(?:de|del)\s+(\d{{4}}))?)\b"
)
_ECHO = re.compile(r"\||^\s*(?:productos|pregunta)\s*:|eres supersmart|\(ninguno\)")
_SIZE_FACTORS = {
    "kg": ("kg", 1.0), "kilo": ("kg", 1.0), "kilos": ("kg", 1.0), "kilogramo": ("kg", 1.0),
    "kilogramos": ("kg", 1.0), "g": ("kg", 0.001), "gr": ("kg", 0.001), "gramo": ("kg", 0.001),
    "gramos": ("kg", 0.001), "l": ("l", 1.0), "litro": ("l", 1.0), "litros": ("l", 1.0),
    "ml": ("l", 0.001), "mililitro": ("l", 0.001), "mililitros": ("l", 0.001),
    "cl": ("l", 0.01), "centilitro": ("l", 0.01), "centilitros": ("l", 0.01),
}  # fmt: skip
_ALLERGEN_WORDS: dict[str, Allergen] = {
    "gluten": Allergen.GLUTEN, "leche": Allergen.MILK, "huevo": Allergen.EGGS,
    "huevos": Allergen.EGGS, "soja": Allergen.SOY, "pescado": Allergen.FISH,
    "cacahuete": Allergen.PEANUTS, "cacahuetes": Allergen.PEANUTS,
    "frutos de cascara": Allergen.TREE_NUTS, "frutos secos": Allergen.TREE_NUTS,
    "sesamo": Allergen.SESAME, "mostaza": Allergen.MUSTARD, "apio": Allergen.CELERY,
    "sulfitos": Allergen.SULPHITES, "altramuces": Allergen.LUPIN,
    "moluscos": Allergen.MOLLUSCS, "crustaceos": Allergen.CRUSTACEANS,
}  # fmt: skip
_WORDS = "|".join(sorted(_ALLERGEN_WORDS, key=len, reverse=True))
_FREE = re.compile(
    rf"\b(?:sin|libres? de|no contienen?|no llevan?|apt[oa]s? para)\s+(?:trazas de\s+)?"
    rf"({_WORDS}|celiacos)\b"
)
# "no dice que esté libre de leche" states what the label does not say, not that it is free.
HEDGED = re.compile(
    r"\b(?:no|tampoco|ni)\s+(?:dice|indica|consta|asegura)\s+que\s+\w+\s+libres? de"
)
_TRACES = re.compile(rf"\bpueden? contener\s+(?:trazas de\s+)?({_WORDS})\b")
_CONTAINS = re.compile(rf"(?<!no )(?<!pueden )(?<!puede )\b(?:contienen?|llevan?)\s+({_WORDS})\b")


@dataclass
class SentenceCheck:
    text: str
    refs: tuple[int, ...]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Grounder:
    """Checks sentences against the numbered products of one answer's context."""

    def __init__(
        self,
        facts: Sequence[ProductFacts],
        instructions: str = "",
        asked: str = "",
        days: Sequence[str] = (),
        catalogue: Iterable[str] = (),
    ) -> None:
        """`asked`: the words the question searched for ("turron wasabi hacendado"): said of a
        product that lacks them, they sell what nobody sells. `days`: dates an answer may name
        besides the data's own (the start of the period asked, "desde octubre": the price in
        force that day; which price that is, `compose.disagreement` checks). `catalogue`: the
        search terms of every product name in the catalogue; said of a product whose name
        lacks them, they name another product ("Tiras wraps [1]" for "Tortillas wraps")."""
        self._facts = {f.ref: f for f in facts}
        self._days = set(days)
        self._asked = set(search_terms(asked))
        self._name_words = {w for f in facts for w in search_terms(f.product.name)}
        # words of 4 letters or more: the catalogue's names also hold "es", "le", "que"
        self._catalogue = frozenset(w for w in catalogue if len(w) >= 4 and w.isalpha())
        self._catalogue -= _ANSWER_WORDS
        self._brands = {fold(f.product.brand) for f in facts if f.product.brand}
        self._chains = {fold(chain_name(f.product.chain)) for f in facts}
        self._instructions = [_words(s) for s in _BOUNDARY.split(fold(instructions)) if s]
        self._abbreviations = {  # "sens.", "choc.": a name's own full stops end no sentence
            w for f in facts for w in f.product.name.lower().split() if w[-1] in ".!?"
        }

    def sentences(self, text: str) -> list[str]:
        """`text` cut into sentences: the last piece is unfinished (no boundary after it yet)."""
        pieces, start = [], 0
        for boundary in _BOUNDARY.finditer(text):
            before = text[start : boundary.start()].rsplit(None, 1)
            if (
                boundary[0].startswith("\n")
                or not before
                or (before[-1].lower() not in self._abbreviations)
            ):
                pieces.append(text[start : boundary.start()])
                start = boundary.end()
        return [*pieces, text[start:]]

    def _echoes(self, folded: str) -> bool:
        """Repeats the prompt: its table layout, or most words of one of its instructions."""
        if _ECHO.search(folded):
            return True
        words = _words(folded)
        return len(words) >= 3 and any(
            len(words & rule) >= 0.7 * len(words) for rule in self._instructions
        )

    def check(self, sentence: str, carried: int | None = None, alone: bool = True) -> SentenceCheck:
        """`alone`: the sentence is checked by itself, so an uncited price may be any context
        product's. Otherwise it is a sentence of an answer read in order and `carried` is the
        product cited last before it (None: nothing cited yet), whose price a price said before
        any citation of its own must be."""
        refs = tuple(int(n) for n in CITATION.findall(sentence))
        result = SentenceCheck(sentence, refs)
        folded = fold(sentence)
        if self._echoes(folded):
            result.problems.append("repite el contexto en lugar de responder")
            return result
        unknown = [n for n in refs if n not in self._facts]
        if unknown:
            result.problems.append(f"cita productos que no existen: {unknown}")
        targets = [self._facts[n] for n in refs if n in self._facts] or list(self._facts.values())
        text = self._unnamed(CITATION.sub(" ", folded), targets)
        result.problems += self._attribution(CITATION.sub(lambda m: f"[{m[1]}]", folded), refs)
        result.problems += self._cheapness(folded)
        if refs or not alone:
            result.problems += self._owned_prices(folded, targets, carried)
        else:
            result.problems += self._prices(text, targets)
        result.problems += self._sizes(_QUOTED.sub(" ", text), targets)  # «the question's words»
        result.problems += [
            f"EAN {ean} no es de los productos citados"
            for ean in _EAN.findall(text)
            if all(f.product.ean != ean for f in targets)
        ]
        text = _EAN.sub(" ", text)
        known = self._days.union(*(f.allowed_days for f in targets))
        result.problems += [
            f"fecha {said[0]} no consta en los datos"
            for said in _DATE.finditer(text)
            if not any(d.startswith(_day(said)) for d in known)
        ]
        for clause in folded.split(";"):  # "[1] contiene leche; [2] sin gluten": per product
            own = [self._facts[int(n)] for n in CITATION.findall(clause) if int(n) in self._facts]
            bare = self._unnamed(_EAN.sub(" ", CITATION.sub(" ", clause)), targets)
            result.problems += self._allergens(bare, own or targets)
        return result

    def _cheapness(self, folded: str) -> list[str]:
        """A claim that a product is the cheapest, or cheaper than another, must hold by price
        per kg/l (or unit) among the products in context measured the same way."""
        marks = [
            (m.start(), int(m[1])) for m in CITATION.finditer(folded) if int(m[1]) in self._facts
        ]
        if not marks:
            return []
        if claim := _CHEAPEST.search(folded):
            claimed = _subject(marks, claim.start(), claim.end())
            if self._facts[claimed].product.reference_price is None and len(self._facts) > 1:
                # "Donde menos cuesta es en Consum: X [1]" with nothing to compare X by
                return [f"[{claimed}] no tiene precio por kilo, litro o unidad: no es comparable"]
            best = _undercut(self._facts[claimed], self._facts.values())
            return [f"[{claimed}] no es el más barato: [{best}] sale más barato"] if best else []
        claim = _CHEAPER.search(folded)
        subjects = [n for at, n in marks if at < claim.start()] if claim else []
        if claim and subjects:  # "X [1] es más barato que Y [2]"
            claimed = subjects[-1]
            others = [self._facts[n] for at, n in marks if at > claim.end() and n != claimed]
            best = _undercut(self._facts[claimed], others)
            return [f"[{claimed}] no es más barato que [{best}]"] if best else []
        return []

    @staticmethod
    def _unnamed(text: str, targets: list[ProductFacts]) -> str:
        """Names may say "sin gluten", "1 l": not claims of the answer's own."""
        for f in targets:
            text = text.replace(fold(f.product.name), " ")
        return text

    def _prices(
        self, text: str, targets: list[ProductFacts], whose: str = "los productos citados"
    ) -> list[str]:
        package = set().union(*(f.package_prices for f in targets)) if targets else set()
        per_unit = set().union(*(f.unit_prices for f in targets)) if targets else set()
        problems = []
        for said in _PRICE.finditer(_DATE.sub(" ", _EAN.sub(" ", text))):
            raw, unit = said[1] or said[3], said[2] or said[4]
            value = amount(raw)
            if not targets:
                problems.append(f"precio {raw} € sin un producto citado al que se refiera")
            elif value is None or value not in (per_unit if unit else package):
                kind = "por unidad de medida" if unit else "del envase"
                problems.append(f"precio {raw} € {kind} no consta para {whose}")
        return problems

    def _owned_prices(
        self, folded: str, named: list[ProductFacts], carried: int | None
    ) -> list[str]:
        """Each price must be the price of the product it is said of, as a shopper reads "el
        aceite [1] a 1,85 € y las galletas [2] a 8,95 €" (two true prices, each said of the
        wrong product, fail): the product cited nearest before it in its ";"-clause, else the
        first cited after it there, else the last one cited before (`carried` at first). A
        price with none of these is nobody's and fails."""
        problems: list[str] = []
        last = carried
        for clause in folded.split(";"):
            pieces = CITATION.split(clause)  # text, n, text, n, ..., text
            owners = [int(n) for n in pieces[1::2]]
            for i, piece in enumerate(pieces[0::2]):
                ref = owners[i - 1] if i else (owners[0] if owners else last)
                owner = None if ref is None else self._facts.get(ref)
                if ref is not None and owner is None:
                    continue  # an unknown citation: reported already
                said = self._unnamed(piece, named)
                problems += self._prices(said, [owner] if owner else [], f"[{ref}]")
            last = owners[-1] if owners else last
        return problems

    def _attribution(self, text: str, refs: tuple[int, ...]) -> list[str]:
        """A brand named just before [n], or a chain just after it, must be product n's."""
        problems = []
        pieces = CITATION.split(text)  # text, n, text, n, ...
        for i in range(1, len(pieces), 2):
            facts = self._facts.get(int(pieces[i]))
            if facts is None:
                continue
            own = fold(f"{facts.product.name} {facts.product.brand or ''}")
            before, after = pieces[i - 1], pieces[i + 1] if i + 1 < len(pieces) else ""
            before = re.split(r"[;:]", before)[-1]  # a list's previous item is not this one's
            chain = fold(chain_name(facts.product.chain))
            for other in self._brands - {fold(facts.product.brand or ""), chain}:
                if re.search(rf"\b{re.escape(other)}\b", before) and other not in own:
                    problems.append(f"[{pieces[i]}] no es de la marca «{other}»")
            problems += self._identity(pieces[i], facts, re.split(r"[,(«]", before)[-1])
            said = re.match(r"\s*(?:,\s*)?en\s+([a-z]+(?:\s+mas)?)", after)
            if said and said[1] in self._chains and said[1] != chain:
                problems.append(f"[{pieces[i]}] no es de {said[1]}, es de {chain}")
        return problems

    def _identity(self, ref: str, facts: ProductFacts, said: str) -> list[str]:
        """The name said before [n] is n's: a word of another product's name in context, or of
        the question, that n's name lacks makes it another product ("Gelatina de fresa [2]" for
        an ice cream, "Turrón de wasabi [1]" for a turrón ice cream)."""
        p = facts.product
        own = set(search_terms(" ".join([p.name, p.brand or "", *p.category_path,
                                         chain_name(p.chain)])))  # fmt: skip
        words = search_terms(CITATION.sub(" ", said))[-8:]
        foreign = [
            w
            for w in words
            if w not in own and (w in self._name_words or w in self._asked or w in self._catalogue)
        ]
        if foreign:
            return [f"[{ref}] no se llama así: {', '.join(foreign)} no está en su nombre"]
        misspelt = _misspelt(said, p.name, own | self._name_words | self._asked)
        if misspelt:
            said_as = ", ".join(f"«{w}» por «{o}»" for w, o in misspelt)
            return [f"[{ref}] con el nombre mal escrito: {said_as}"]
        return []

    def _sizes(self, text: str, targets: list[ProductFacts]) -> list[str]:
        problems = []
        for raw, unit in _SIZE.findall(text):
            base, factor = _SIZE_FACTORS[unit]
            amount = float(raw.replace(",", ".")) * factor
            if not any(_has_size(f, base, amount) for f in targets):
                problems.append(f"tamaño {raw} {unit} no consta para los productos citados")
        return problems

    def _allergens(self, text: str, targets: list[ProductFacts]) -> list[str]:
        problems = []
        claims: list[tuple[Allergen, set[AllergenStatus], str]] = []
        text = HEDGED.sub(" ", text)
        for word in _FREE.findall(text):
            allergen = Allergen.GLUTEN if word == "celiacos" else _ALLERGEN_WORDS[word]
            label = "apto para celíacos" if word == "celiacos" else f"sin {word}"
            claims.append((allergen, {AllergenStatus.FREE}, label))
        for word in _TRACES.findall(text):
            statuses = {AllergenStatus.TRACES, AllergenStatus.CONTAINS}
            claims.append((_ALLERGEN_WORDS[word], statuses, f"puede contener {word}"))
        for word in _CONTAINS.findall(text):
            claims.append((_ALLERGEN_WORDS[word], {AllergenStatus.CONTAINS}, f"contiene {word}"))
        for allergen, statuses, claim in claims:
            if not targets or any(f.allergen_status(allergen) not in statuses for f in targets):
                problems.append(f"«{claim}» no lo dice la etiqueta de los productos citados")
        return problems


def _day(said: re.Match[str]) -> str:
    """A date as the data writes it ("01/11/2026"), or its day and month ("01/11/") alone."""
    day, month, year = (said[1], said[2], said[3]) if said[1] else (said[6], said[5], said[4])
    if said[7]:
        name = "septiembre" if said[8] == "setiembre" else said[8]
        day, month, year = said[7], str(MONTHS.index(name) + 1), said[9] or ""
    return f"{int(day):02d}/{int(month):02d}/{year}"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text)}


# Words an answer says around a name that some product's name also holds ("Cesta", "Pack",
# "Precio justo"): never read as naming another product.
_ANSWER_WORDS = frozenset(
    search_terms(
        "precio precios cuesta cuestan sale salen tengo tenemos hay vende venden comprar compra "
        "barato barata baratos baratas economico mejor menos mas oferta producto productos "
        "supermercado cadena envase paquete unidad unidades kilo kilos litro litros euro euros "
        "bolsa botella lata brick caja pack tarro bote gramos total sobran puedes alternativa "
        "parecido opcion encuentro sigue siguen ahora antes desde hoy dia"
    )
)
_SPELLING = 80  # rapidfuzz ratio from which a word not in the data reads as a name misspelt


def _misspelt(said: str, name: str, known: set[str]) -> list[tuple[str, str]]:
    """(word said, word of the name) for each word of the name as said just before [n] that
    misspells one of the data's ("ceroales" for "cereales", "hacendada" for "hacendado"). The name
    as said is the run of words, back from the citation, that are the name's own or close to
    them, so "Lo que menos cuesta es la Cesta de fruta [1]" reads "Cesta de fruta". A word
    shortened ("virg", "buc."), inflected ("codorniz" for "codornices") or spaced differently
    ("semi desnatada", "El Pozo", "Loreal", "En Juague" for "semidesnatada", "ElPozo",
    "L'Oréal", "Enjuague": the same letters) is no misspelling."""
    own = set(re.findall(r"[a-z0-9]+", fold(name)))
    joined = re.sub(r"[^a-z0-9]", "", fold(name))
    found = []
    for word in reversed(re.findall(r"[a-z0-9]+", fold(CITATION.sub(" ", said)))):
        terms = search_terms(word)
        if word in own or word in joined or (terms and set(terms) <= known):
            continue
        close = [o for o in own if _misspells(word, o)]
        if not close:
            break  # the name as said starts after this word
        found.append((word, max(close, key=lambda o: fuzz.ratio(word, o))))
    return found[::-1]


def _misspells(word: str, own: str) -> bool:
    return (
        len(word) >= 4
        and not word.isdigit()
        and not (own.startswith(word) or word.startswith(own))
        and fuzz.ratio(word, own) >= _SPELLING
    )


def _has_size(f: ProductFacts, base: str, amount: float) -> bool:
    p = f.product
    if p.unit_size is None or p.size_unit is None:
        return False
    unit = {ReferenceUnit.KG: "kg", ReferenceUnit.L: "l"}.get(p.size_unit)
    return unit == base and abs(p.unit_size - amount) < 1e-6 * max(1.0, amount)


# A sentence ends at ".", "!" or "?" and a space, or at a line break; not after a word of a
# product's name in context that carries its own full stop ("Enjuague Bucal Sens. [1]",
# "Choc. Negro"), see `Grounder.sentences`.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")
_ENDED = re.compile(r"[.!?…][\"'»)\]]*\s*$")  # a sentence's last characters


class StreamingCheck:
    """Feeds generated text, returns the sentences that may be shown, in order.

    Nothing is shown before the first sentence that cites a product holds; sentences that fail
    (or repeat an earlier one) are dropped and recorded. `finish()` flushes the tail.
    """

    def __init__(self, grounder: Grounder, max_sentences: int = 6) -> None:
        self._grounder = grounder
        self._max = max_sentences
        self._buffer = ""
        self._pending: list[str] = []
        self.kept: list[SentenceCheck] = []
        self.dropped: list[SentenceCheck] = []
        self.cited = False
        self.uncited: list[str] = []  # held sentences never shown: no citation ever came
        self.cut: str | None = None  # the sentence the token limit stopped half-way, not shown
        self._carried: int | None = None  # the product cited last: what an uncited price is of
        self.led = 0  # how many of `kept` are the service's lead, composed from the data
        self._lead_refs: set[int] = set()  # the products the lead cites

    @property
    def full(self) -> bool:
        return len(self.kept) >= self._max

    @property
    def hopeless(self) -> bool:
        """Three failed sentences (or the prompt's table layout) before any cited sentence held,
        or two after the data's lead: the model is echoing, looping or inventing; the rest is
        not worth waiting for (nor the slot it holds)."""
        if self.led:
            return len(self.dropped) >= 2
        return not self.cited and (len(self.dropped) >= 3 or " | " in self._buffer)

    def lead(self, text: str) -> list[str]:
        """The service's opening, composed from the data, as the answer's first sentences:
        checked like the model's, and kept only if every one of them holds ([] otherwise: the
        model answers alone). The model's text fed after it is read on from it."""
        sentences = [p.strip() for p in self._grounder.sentences(text.strip() + " ")[:-1]]
        carried, checks = self._carried, []
        for sentence in sentences:
            check = self._grounder.check(sentence, carried=carried, alone=False)
            if not check.ok or not sentence:
                return []
            checks.append(check)
            carried = check.refs[-1] if check.refs else carried
        if self.kept or self.dropped or not any(c.refs for c in checks):
            return []  # only an answer's opening, and one that cites what it is about
        self.kept, self.led, self.cited, self._carried = checks, len(checks), True, carried
        self._lead_refs = {n for c in checks for n in c.refs}
        return sentences

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        parts = self._grounder.sentences(self._buffer)
        self._buffer = parts.pop()
        return [s for part in parts for s in self._take(part)]

    def finish(self, cut: bool = False) -> list[str]:
        """`cut`: the model was stopped by its token limit, so a tail that has not ended its
        sentence is half a sentence: never shown; counted as failed only if it already fails."""
        tail, self._buffer = self._buffer, ""
        half = tail.strip()
        if cut and half and not _ENDED.search(half) and self._check(half).ok:
            self.cut, tail = half, ""
        out = self._take(tail)
        if not self.cited:  # nothing that cites a product: the uncited rest is not shown
            self.uncited, self._pending = self._pending, []
        return out

    def _take(self, sentence: str) -> list[str]:
        sentence = sentence.strip()
        if not sentence or self.full:
            return []
        check = self._check(sentence)
        if any(k.text == sentence for k in self.kept):
            check.problems.append("repite una frase anterior")
        elif self.led and not check.refs:  # "No lo sé." after the data's answer: noise at best
            check.problems.append("tras la frase de los datos, no cita ningún producto")
        elif self.led and set(check.refs) <= self._lead_refs:  # the lead again, in other words
            check.problems.append("repite lo que ya dice la frase de los datos")
        if not check.ok:
            self.dropped.append(check)
            return []
        self.kept.append(check)
        if check.refs:
            self.cited = True
            self._carried = check.refs[-1]
        if not self.cited:
            self._pending.append(sentence)
            return []
        out, self._pending = [*self._pending, sentence], []
        return out

    def _check(self, sentence: str) -> SentenceCheck:
        return self._grounder.check(sentence, carried=self._carried, alone=False)


def _subject(marks: Sequence[tuple[int, int]], start: int, end: int) -> int:
    """The product a claim is about: the first cited after it ("el más barato es X [1]"), else
    the last cited before it ("X [1] es el más barato")."""
    after = [n for at, n in marks if at >= end]
    before = [n for at, n in marks if at < start]
    return after[0] if after else before[-1] if before else marks[0][1]


def _undercut(claimed: ProductFacts, peers: Iterable[ProductFacts]) -> int | None:
    """The product of `peers` cheapest per kg/l (or unit) if it is cheaper than `claimed`."""
    price, unit = claimed.product.reference_price, claimed.product.reference_unit
    if price is None:
        return None
    cheaper = [
        f
        for f in peers
        if f.product.reference_unit == unit
        and f.product.reference_price is not None
        and f.product.reference_price < price
    ]
    return min(cheaper, key=lambda f: f.product.reference_price or 0).ref if cheaper else None
