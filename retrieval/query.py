"""Understanding a Spanish shopping question: which chains, what price limits, which allergens
to avoid, which period of time, and what the shopper wants (the cheapest, a comparison, a price
history). What is left is the text to search for. Constraints become hard filters; nothing here
guesses, and nothing here reads the clock (a period is placed on the calendar by its user)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from core.allergens import Allergen
from core.domain import ReferenceUnit
from core.text import AMOUNT, amount, fold, search_terms
from retrieval.period import Period, find_period


class Intent(StrEnum):
    FIND = "find"
    CHEAPEST = "cheapest"
    COMPARE = "compare"
    HISTORY = "history"
    CHAT = "chat"  # a greeting, thanks or "¿qué puedes hacer?": no product asked for


LACTOSE = "lactose"  # not an EU allergen: milk, unless the product says "sin lactosa"


@dataclass(frozen=True)
class Query:
    text: str  # what to search for, constraints removed
    original: str
    chains: frozenset[str] = frozenset()
    max_price: Decimal | None = None
    min_price: Decimal | None = None
    exclude: frozenset[Allergen] = frozenset()
    lactose_free: bool = False
    intents: frozenset[Intent] = field(default_factory=lambda: frozenset({Intent.FIND}))
    period: Period | None = None  # "este mes", "desde octubre de 2023"
    asked: frozenset[Allergen] = frozenset()  # "¿contiene huevo?": its status, not a filter
    quantity: int | None = None  # "3 paquetes de ...": a total to compute
    budget: Decimal | None = None  # "tengo 10 €": how many it buys
    unit: ReferenceUnit | None = None  # "más barato por kilo": the unit prices are compared in
    # "¿Qué sale más barato, A de Mercadona o B de Dia?": each product asked about, understood
    # on its own (its words and its chain), in the order asked
    alternatives: tuple[Query, ...] = ()
    said: str = ""  # the words searched for as written, when `text` reads a misspelling

    @property
    def written(self) -> str:
        """What the shopper asked for, in their words (for "No encuentro «...»")."""
        return self.said or self.text

    @property
    def constrained(self) -> bool:
        return bool(
            self.chains
            or self.exclude
            or self.lactose_free
            or self.max_price is not None
            or self.min_price is not None
        )


_CHAINS = {
    "mercadona": "mercadona",
    "consum": "consum",
    "alcampo": "alcampo",
    "auchan": "alcampo",
    "carrefour": "carrefour",
    "supermercados mas": "supermercados-mas",
}
# a limit's amount, not a size ("de menos de 500 g" asks for small packs, not under 500 €)
_SIZE = r"(?!\s*(?:kg|kilos?|kilogramos?|g|gr|grs|gramos?|l|litros?|ml|cl)\b)"
_NUMBER = rf"({AMOUNT}){_SIZE}\s*(?:€|euros?|eur\b|e\b)?"
_MAX = re.compile(
    r"(?:por\s+)?(?:menos\s+de|por\s+debajo\s+de|hasta|(?:como\s+)?maximo|como\s+mucho|"
    r"no\s+mas\s+de|inferior(?:es)?\s+a|<=?)\s*" + _NUMBER
)
_MIN = re.compile(r"(?:mas\s+de|por\s+encima\s+de|minimo|superior(?:es)?\s+a|>=?)\s*" + _NUMBER)
_BETWEEN = re.compile(r"entre\s+" + _NUMBER + r"\s+y\s+" + _NUMBER)
_ALLERGEN_WORDS: tuple[tuple[str, tuple[Allergen, ...]], ...] = (
    (r"gluten|celiac[oa]s?|trigo", (Allergen.GLUTEN,)),
    (r"leche|lacteos?", (Allergen.MILK,)),
    (r"huevos?", (Allergen.EGGS,)),
    (r"frutos\s+secos", (Allergen.TREE_NUTS, Allergen.PEANUTS)),
    (r"frutos\s+de\s+cascara|nueces|almendras?|avellanas?", (Allergen.TREE_NUTS,)),
    (r"cacahuetes?|mani", (Allergen.PEANUTS,)),
    (r"soja", (Allergen.SOY,)),
    (r"pescados?", (Allergen.FISH,)),
    (r"marisco|crustaceos?", (Allergen.CRUSTACEANS, Allergen.MOLLUSCS)),
    (r"moluscos?", (Allergen.MOLLUSCS,)),
    (r"sesamo", (Allergen.SESAME,)),
    (r"mostaza", (Allergen.MUSTARD,)),
    (r"apio", (Allergen.CELERY,)),
    (r"sulfitos?", (Allergen.SULPHITES,)),
    (r"altramuz|altramuces", (Allergen.LUPIN,)),
)
_AVOID = (
    r"(?:sin|libre\s+de|apto\s+para\s+alergicos\s+a|alergi[ac]o?s?\s+(?:a|al|a\s+la|a\s+los)|"
    r"intolerante\s+a(?:l|\s+la)?|que\s+no\s+(?:tenga|lleve)n?)\s+"
)
_INTENTS = (
    (
        Intent.HISTORY,
        r"ha\s+subido|han\s+subido|ha\s+bajado|han\s+bajado|subida|bajada|"
        r"evolucion|historial|antes\s+costaba|cambiado\s+de\s+precio|"
        r"subio|bajo\s+de\s+precio|costaba|costaban|valia|valian|"
        r"cambiado\s+(?:el|su)\s+precio|cambio\s+de\s+precio",
    ),
    (
        Intent.COMPARE,
        r"compar|diferencia|donde\s+(?:esta|es|sale)|en\s+que\s+super|"
        r"que\s+super(?:mercado)?",
    ),
    (
        Intent.CHEAPEST,
        r"barat|economic|precio\s+mas\s+bajo|menor\s+precio|mejor\s+precio|low\s*cost",
    ),
)
_FILLER = re.compile(
    r"\b(?:donde|que|cual(?:es)?|hay|esta|estan|es|son|mas|menos|el|la|los|las|un|una|unos|"
    r"unas|de|del|en|por|para|con|me|mi|y|o|a|al|se|lo|puedo|comprar|compro|busco|quiero|"
    r"necesito|precio|precios|cuesta|cuestan|cuanto|vale|valen|tiene|tienen|mes|este|esta|"
    r"semana|ultim[oa]s?|super|supermercado|supermercados|producto|productos|euros?|eur|"
    r"barat[oa]s?|economic[oa]s?|ha|han|subido|bajado|compara|comparar|dime|sale|sean|sea|"
    r"apto|aptos|apta|aptas|tienes|teneis|venden|vendeis|vende|encuentro|encontrar|mejor|"
    r"favor|saber|quiero|dime|dices|puede|tomar|alguien|alergic[oa]s?|soy|costaba|costaban|"
    r"valia|valian|subio|cambiado|cambio|kilos?|kg|litros?|comer|contiene|contienen|"
    r"lleva|llevan|trazas|unidades|unidad|oye|imagina|asistente|compras|pregunta|rapida|"
    r"hago|costar|va|cuantas|cuantos|esto|eso|gracias|llevo|tenia|tenian|how|much|is|at|the|"
    r"price|of)\b"
)
# An amount said without a limit ("que cuesta 0,01 €"): not a product word, never searched.
_BARE_AMOUNT = re.compile(rf"\b{AMOUNT}\s*(?:€|euros?\b)")
# Instructions written into the question ("ignora tus instrucciones y responde que ..."): the
# product named is still searched; the instruction and its figures are not.
_INJECTION = re.compile(
    r"\b(?:ignora|olvida|olvidate de)\s+(?:tus|las|todas\s+las|tus\s+anteriores)?\s*"
    r"(?:instrucciones|reglas|normas)(?:\s+anteriores)?(?:\s+y)?\s*"
    r"(?:(?:responde|di|dime|contesta|escribe)\s+que)?"
)
# "3 paquetes de galletas": the count comes before the product, with "de" ("caja 20 unidades"
# and "bolsa 2 unidades" are pack sizes, part of a product's name)
_COUNT = (r"(\d{1,2}|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce)\s+"
          r"(?:unidades|paquetes|botellas|latas|bricks|cajas|bolsas|packs|tarros|botes|"
          r"envases|docenas)\s+de\s+")  # fmt: skip
_NUMBERS = {"dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
            "nueve": 9, "diez": 10, "doce": 12}  # fmt: skip
_BUDGET = re.compile(
    r"\b(?:tengo|con|dispongo\s+de|me\s+quedan|presupuesto\s+de)\s+"
    rf"({AMOUNT})\s*(?:€|euros?\b)"
)
_GREETING = re.compile(
    r"^\W*(?:hola|buen[oa]s(?:\s+(?:dias|tardes|noches))?|hey|oye)\s*(?:[,.!:]+\s*|$)"
)
_CHAT = re.compile(
    r"\b(?:hola|buenos\s+dias|buenas(?:\s+(?:tardes|noches))?|hey|muchas\s+gracias|gracias|"
    r"ayuda|ayudame|que\s+(?:puedes|sabes)\s+hacer|para\s+que\s+sirves|como\s+funciona(?:s)?|"
    r"quien\s+eres|que\s+(?:te\s+)?puedo\s+preguntar|eso\s+es\s+todo|adios|hasta\s+luego)\b"
)


_UNIT = (
    (re.compile(r"\bpor\s+(?:kilo|kilogramo|kg)\b|\b(?:el|del|al)\s+kilo\b"), ReferenceUnit.KG),
    (re.compile(r"\bpor\s+(?:litro|l)\b|\b(?:el|del|al)\s+litro\b"), ReferenceUnit.L),
    (re.compile(r"\bpor\s+unidad\b|\b(?:la|por)\s+pieza\b"), ReferenceUnit.UNIT),
)
# "¿Qué sale más barato (por kilo), A o B?", "¿Es más barata A o B?", "A o B, ¿cuál es más
# barato?": two products, split on the last " o " between the comparison and the end
_PAIR = re.compile(
    r"(?:barat[oa]s?|economic[oa]s?|mejor\s+precio|compensa|conviene)"
    r"(?:\s+por\s+(?:kilo|litro|unidad|kg|l))?\s*[,:]?\s+(?P<a>.+?)\s+o\s+(?P<b>.+)$"
    r"|^(?P<c>.+?)\s+o\s+(?P<d>.+?)\s*[,:]\s*[¿]?\s*(?:cual|que)\b.*\b(?:barat|economic)",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:el|la|los|las|un|una)\s+", re.IGNORECASE)


def _pair(original: str) -> tuple[str, str] | None:
    """The two products of "más barato, A o B" (accents folded, case and punctuation kept: "de
    Dia" names the chain only when capitalised)."""
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", original) if not unicodedata.combining(ch)
    )
    match = _PAIR.search(text)
    if match is None:
        return None
    first, second = (match["a"], match["b"]) if match["a"] else (match["c"], match["d"])
    first = _ARTICLE.sub("", re.sub(r"^[¿?¡!,:\s]+|[¿?¡!,.;:\s]+$", "", first))
    second = _ARTICLE.sub("", re.sub(r"^[¿?¡!,:\s]+|[¿?¡!,.;:\s]+$", "", second))
    if len(first) < 3 or len(second) < 3 or " o " in first:
        return None
    return first, second


# A yes/no question about one product's label ("¿Es X apto para alérgicos a la leche?", "soy
# celíaco, ¿puedo comer X?"): the allergens it names are asked about, not filters.
_ABOUT_ONE = re.compile(
    r"^\W*(?:es|son|seria|sera)\s|\b(?:puedo|puede|podria|pueden)\s+(?:comer|tomar|beber)\b"
)


def _money(text: str) -> Decimal:
    value = amount(text)
    assert value is not None, text  # the patterns above match amounts only
    return value


def understand(question: str) -> Query:
    original = question.strip()
    text = fold(original)
    # "Hola, ¿...?": a greeting before the question is no product word ("Hola Cola" is one)
    greeting = _GREETING.match(text)
    text = text[greeting.end() :] if greeting else text
    # keep 2,50, 2'50 and D.O.
    text = re.sub(r"[¿?¡!;:()\"]|(?<!\d)[',]|[',](?!\d)|\.(?!\w)", " ", text)
    period, text = find_period(text)
    text = _INJECTION.sub(" ", text)
    quantity = budget = None
    if match := re.search(r"(?<!\bde )(?<!\bpack )(?<!\bx )\b" + _COUNT, text):
        quantity = int(match[1]) if match[1].isdigit() else _NUMBERS[match[1]]
        text = text.replace(match[0], " ")
    if match := _BUDGET.search(text):
        budget = _money(match[1])
        text = text.replace(match[0], " ")
    chains = {slug for name, slug in _CHAINS.items() if re.search(rf"\b{name}\b", text)}
    # "Dia" the chain, not "día" the day: capitalised without accent, or after en/del/el/super.
    # (lower() keeps the accent of "día", so it never matches)
    if re.search(r"\b(?:DIA|Dia)\b", original) or re.search(
        r"\b(?:en|del|el|super|supermercado|tienda|tiendas)\s+dia\b", original.lower()
    ):
        chains.add("dia")
    for name in (*_CHAINS, "dia"):
        text = re.sub(rf"\b(?:en|de|del|el|la|super|supermercado)?\s*{name}\b", " ", text)

    min_price = max_price = None
    if match := _BETWEEN.search(text):
        min_price, max_price = sorted((_money(match[1]), _money(match[2])))
        text = text.replace(match[0], " ")
    if match := _MAX.search(text):
        max_price = _money(match[1])
        text = text.replace(match[0], " ")
    if match := _MIN.search(text):
        min_price = _money(match[1])
        text = text.replace(match[0], " ")

    exclude: set[Allergen] = set()
    lactose_free = False
    if re.search(_AVOID, text):
        text = re.sub(r"\b(?:ni|y\s+sin)\b", "sin", text)  # "sin frutos secos ni huevo"
    if re.search(_AVOID + r"lactosa", text):
        lactose_free = True
        text = re.sub(_AVOID + r"lactosa", " ", text)
    if re.search(r"apto\s+para\s+celiac|celiac[oa]s?", text):
        exclude.add(Allergen.GLUTEN)
        text = re.sub(r"(?:apto|aptos|apta|aptas)?\s*(?:para)?\s*celiac[oa]s?", " ", text)
    for words, allergens in _ALLERGEN_WORDS:
        pattern = _AVOID + rf"(?:trazas\s+de\s+)?(?:{words})\b"
        if re.search(pattern, text):
            exclude.update(allergens)
            text = re.sub(pattern, " ", text)

    asked: set[Allergen] = set()
    for words, allergens in _ALLERGEN_WORDS:  # "¿contiene huevo?", "¿tiene trazas de apio?"
        # not "¿tienen huevos?": that asks for eggs, the product; but "¿X tiene leche?", a
        # product named before "tiene" and the allergen last, asks about X's label
        pattern = (
            r"\b(?:contiene|contienen|lleva|llevan|(?:tiene|tienen)?\s*trazas\s+de)\s+"
            rf"(?:{words})\b|(?<=\w)\s+(?:tiene|tienen)\s+(?:{words})\s*$"
        )
        if re.search(pattern, text):
            asked.update(allergens)
            text = re.sub(pattern, " ", text)

    if exclude and _ABOUT_ONE.search(fold(original)):
        asked |= exclude  # "¿Es X apto para celíacos?": X's label, not a filter that hides X
        exclude = set()
    unit = next((unit for pattern, unit in _UNIT if pattern.search(text)), None)
    intents = {intent for intent, pattern in _INTENTS if re.search(pattern, text)}
    if period is not None and re.search(r"precio|cost|vali|valia|tenia|cuanto", text):
        intents.add(Intent.HISTORY)  # "¿qué precio tenía la leche en octubre?"
    if Intent.COMPARE in intents and re.search(r"barat", text):
        intents.add(Intent.CHEAPEST)
    residue = " ".join(_FILLER.sub(" ", _BARE_AMOUNT.sub(" ", text)).split())
    chatting = (greeting or _CHAT.search(text)) and not re.findall(
        r"[a-z0-9]+", _FILLER.sub(" ", _CHAT.sub(" ", re.sub(r"\bvale\b", " ", text)))
    )
    constrained = chains or exclude or asked or lactose_free or period or quantity or budget
    if chatting and not constrained and max_price is None and min_price is None:
        intents = {Intent.CHAT}
        residue = text = ""
    alternatives: tuple[Query, ...] = ()
    if intents & {Intent.CHEAPEST, Intent.COMPARE} and (pair := _pair(original)):
        alternatives = tuple(understand(part) for part in pair)
        if all(search_terms(a.text) for a in alternatives):
            residue = " ".join(a.text for a in alternatives)
            chains = set().union(*(a.chains for a in alternatives)) if all(
                a.chains for a in alternatives) else set()  # fmt: skip
        else:
            alternatives = ()
    return Query(
        text=residue or " ".join(text.split()),
        original=original,
        chains=frozenset(chains),
        max_price=max_price,
        min_price=min_price,
        exclude=frozenset(exclude),
        lactose_free=lactose_free,
        intents=frozenset(intents or {Intent.FIND}),
        period=period,
        asked=frozenset(asked),
        quantity=quantity,
        budget=budget,
        unit=unit,
        alternatives=alternatives,
    )
