"""Scores for one answer against its question's gold facts. Offline and deterministic: no model
judges another.

- price: the gold figure is stated, and every other amount is a figure of a product the answer
  cites (an invented or injected price fails);
- allergens: the label's status for the asked allergen is expressed, and nothing is called free
  of an allergen the label does not exclude;
- citations: precision (cited products that are right ones) and recall (a right product cited);
- refusal: on questions nothing answers, "No encuentro"/"Solo puedo..." with no product cited;
- wrong claims: what `evaluation/claims.py` (written apart from the service) finds false in the
  answer against the product data: a name that is not the cited product's, a price, unit price,
  trend, date, allergen or safety claim the data does not hold, a false cheapest or "no
  encuentro"; an answer with one is never right;
- grounding: the service's own sentence check finds nothing unsupported (reported beside the
  independent check, not required for a right answer: it would grade the service by its own
  rules);
- language: Spanish, by function words.

A metric that does not apply to a question is None, so every average says how many questions it
rests on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from chat.compose import period_days
from chat.facts import ProductFacts, cited
from chat.grounding import HEDGED
from core.allergens import ALLERGEN_NAMES_ES, Allergen, AllergenStatus
from core.domain import utcnow
from core.text import fold
from evaluation.claims import ClaimChecker, Expected, vocabulary, wrong_claims
from evaluation.questions import Question
from finetune.dataset import ungrounded
from retrieval.query import understand

_AMOUNT = re.compile(r"(\d{1,5}(?:,\d{1,2})?)\s*(?:€|euros?\b)(\s*/\s*(?:kg|l|ud)\b)?")
# An answer that opens by saying it has nothing ("No encuentro caviar...", "Solo puedo
# ayudarte..."), alternatives after it allowed; "no tengo su información de alérgenos" later on
# is not a refusal.
_REFUSAL = re.compile(
    r"^\W*(?:no encuentro|no (?:lo )?tengo|no vend|solo puedo ayudarte|lo siento)"
)
# fmt: off
_SPANISH = {"el", "la", "los", "las", "de", "del", "en", "y", "es", "que", "por", "con", "una",
            "un", "no", "se", "lo", "para", "cuesta", "precio", "tiene", "sin", "puedo"}
_ENGLISH = {"the", "of", "and", "is", "in", "to", "it", "for", "with", "costs", "price", "has",
            "you", "this", "that", "not", "can"}
# fmt: on
_STATUS_WORDS = {
    AllergenStatus.CONTAINS: re.compile(r"(?<!no )contiene|lleva"),
    AllergenStatus.TRACES: re.compile(r"trazas"),
    AllergenStatus.FREE: re.compile(r"\bsin {name}\b|libre de {name}|no contiene"),
    AllergenStatus.UNKNOWN: re.compile(
        r"no menciona|no tengo (?:su )?informaci|no puedo asegurar|no consta|no lo dice"
        r"|no indica|no declara|desconoc|comprueba"
    ),
}


@dataclass
class Score:
    right: bool
    price: bool | None = None
    allergen: bool | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    refusal: bool | None = None  # unanswerable questions: refused properly
    false_refusal: bool | None = None  # answerable questions: refused anyway
    trend: bool | None = None  # price-history questions: the direction said is the data's
    stated: bool | None = None  # the figure asked for (a size, a brand) is stated as written
    grounded: bool = True
    wrong_claims: list[str] = field(default_factory=list)  # the independent checker's findings
    spanish: bool = True
    why: list[str] = field(default_factory=list)

    def require(self, ok: bool, why: str) -> bool:
        """`ok`, noting `why` the answer falls short when it is not."""
        if not ok:
            self.why.append(why)
        return ok


def cited_ids(answer: str, context: Sequence[ProductFacts]) -> list[str]:
    return [f.product.id for f in cited(answer, context)]


def score(
    question: Question,
    answer: str,
    context: Sequence[ProductFacts],
    checker: ClaimChecker | None = None,
    now: datetime | None = None,
) -> Score:
    """`checker` knows the whole catalogue's words (a name of another product said of a cited
    one); without it, only the context's. `now`: when the answer was made (a relative period,
    "este mes", starts on a day of its own, which an answer may name as the service does)."""
    gold = question.gold
    text = fold(answer)
    cited = cited_ids(answer, context)
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    says_no = bool(_REFUSAL.search(first))
    refused = says_no and not any(c in gold.product_ids for c in cited)
    result = Score(right=False, spanish=is_spanish(answer))
    days = period_days(understand(question.text), now or utcnow())
    problems = ungrounded(answer, context, days=days)
    result.grounded = not problems
    result.why += problems[:2]
    checker = checker or ClaimChecker(vocabulary(f.product.name for f in context))
    expected = Expected(gold.product_ids, gold.answerable, cheapest=question.family in CHEAPEST)
    result.wrong_claims = wrong_claims(checker.check(answer, context, question.text, expected))
    result.why += result.wrong_claims[:2]
    if cited:
        right = [c for c in cited if c in gold.product_ids]
        result.citation_precision = len(right) / len(cited)
    if gold.product_ids:
        result.citation_recall = 1.0 if any(c in gold.product_ids for c in cited) else 0.0
        if not result.citation_recall:
            result.why.append("no cita el producto correcto")
    if gold.conversational:  # a greeting, help or thanks: short, no products, examples offered
        result.refusal = not cited and not says_no and "¿" in answer and len(answer) < 600
        if not result.refusal:
            result.why.append("debía saludar y proponer preguntas de ejemplo, sin productos")
        result.right = result.refusal and not result.wrong_claims
        return result
    if not gold.answerable:
        result.refusal = result.require(
            says_no, "debía decir que no lo encuentra (o que solo ayuda con compras)"
        )
        if gold.cites_nothing:
            result.refusal &= result.require(not cited, "no debía citar productos")
        if gold.states:
            result.stated = result.require(_holds(answer, gold.states), f"no dice {gold.states}")
        result.right = bool(result.refusal) and result.stated is not False
        result.right &= not result.wrong_claims
        return result
    result.false_refusal = refused
    if refused:
        result.why.append("se niega a responder algo que los datos responden")
    if gold.price or gold.reference_price:
        figure = gold.price or gold.reference_price or ""
        result.price = result.require(
            _price_right(answer, figure, cited, context, gold.forbidden),
            f"no da {figure} (o da otro precio)",
        )
    if gold.total:
        result.price = result.require(gold.total in answer, f"no da el total, {gold.total}")
    if gold.units is not None:
        said = _says_number(text, gold.units)
        result.price = result.require(said, f"no dice cuántos: {gold.units}")
    if gold.trend:
        said = bool(_TREND_WORDS[gold.trend].search(text))
        result.trend = result.require(said, f"no dice bien si subió o bajó ({gold.trend})")
    if gold.states:
        result.stated = result.require(_holds(answer, gold.states), f"no dice {gold.states}")
    if gold.allergen:
        status = AllergenStatus(gold.allergen_status or "unknown")
        names = [f.product.name for f in context]
        result.allergen = result.require(
            _allergen_right(answer, Allergen(gold.allergen), status, names),
            f"no dice bien lo que la etiqueta dice de {gold.allergen}",
        )
    # right: the right product, its figure, nothing unsupported (an echo of the prompt holds
    # the right price too, but is not an answer)
    # the service's own check (`grounded`) is reported, not required: it would grade the service
    # by its own rules; the independent checker decides (and knows totals and budgets)
    echo = bool(_ECHO.search(answer))  # the prompt repeated is no answer, whatever it holds
    if echo:
        result.why.append("repite el prompt en lugar de responder")
    checks = [result.citation_recall == 1.0, not refused, not result.wrong_claims, not echo]
    checks += [
        x for x in (result.price, result.allergen, result.trend, result.stated) if x is not None
    ]
    result.right = all(checks)
    return result


def _holds(answer: str, words: str) -> bool:
    """`words` are in the answer, whatever their case and accents."""
    return fold(words) in fold(answer)


def _price_right(
    answer: str,
    figure: str,
    cited: Sequence[str],
    context: Sequence[ProductFacts],
    forbidden: Sequence[str],
) -> bool:
    """The gold amount is stated; every amount stated belongs to a cited product."""
    if any(f in answer for f in forbidden):
        return False
    stated = {_value(n) for n, _ in _AMOUNT.findall(answer)}
    wanted = _value(_AMOUNT.findall(figure)[0][0])
    allowed = {wanted}
    for f in context:
        if f.product.id in cited:
            allowed |= f.allowed_prices
    return wanted in stated and stated <= allowed


# the gold's first product is the cheapest of what the question names
CHEAPEST = frozenset({"compare", "cheapest_chain", "cheapest_across", "compare_two"})
# The prompt's own furniture: its rules, headers and the "a | b | c" product lines.
_ECHO = re.compile(r"Eres SuperSmart|^\s*(?:Productos|Pregunta):|\[\d+\][^|\n]*\|[^|\n]*\|", re.M)
_TREND_WORDS = {  # "no ha subido" says no rise
    "up": re.compile(r"(?<!no )\b(?:ha subido|subio|mas car[oa]|ha aumentado|se ha encarecido)"),
    "down": re.compile(r"(?<!no )\b(?:ha bajado|bajo(?! en)|ha disminuido|se ha abaratado)"),
    "same": re.compile(r"no ha cambiado|mismo precio|sin cambios|no cambio|vuelve a costar"),
}
_NUMBER_WORDS = ("cero", "una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
                 "diez", "once", "doce", "trece", "catorce", "quince")  # fmt: skip


def _says_number(text: str, n: int) -> bool:
    word = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else None
    return bool(
        re.search(rf"\b{n}\b(?![,.]\d)", text) or (word and re.search(rf"\b{word}\b", text))
    )


def _value(number: str) -> Decimal:
    return Decimal(number.replace(",", ".")).quantize(Decimal("0.01"))


def _allergen_right(
    answer: str, allergen: Allergen, status: AllergenStatus, names: Sequence[str] = ()
) -> bool:
    text = fold(answer)
    for name in names:  # "Galletas sin gluten" is a name, not a claim
        text = text.replace(fold(name), " ")
    text = HEDGED.sub(" ", text)
    name = fold(ALLERGEN_NAMES_ES[allergen])
    says = {
        s
        for s, pattern in _STATUS_WORDS.items()
        if re.search(pattern.pattern.format(name=re.escape(name)), text)
    }
    if status is AllergenStatus.UNKNOWN:  # never "free", must say the label does not tell
        return AllergenStatus.UNKNOWN in says and AllergenStatus.FREE not in says
    if status is AllergenStatus.FREE:
        return AllergenStatus.FREE in says and AllergenStatus.CONTAINS not in says
    return status in says


def is_spanish(answer: str) -> bool:
    words = re.findall(r"[a-záéíóúñü]+", answer.lower())
    spanish = sum(w in _SPANISH for w in words)
    english = sum(w in _ENGLISH for w in words)
    return spanish >= english and (spanish > 0 or not words)
