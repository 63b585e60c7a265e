"""The data's final say on a model's answer, once it has finished: its checked sentences as
they are, repaired, or replaced by the answer composed from the data after what the shopper has
already seen; its refusal when the data has nothing either; the data's totals and allergen
lines after its sentences."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chat import compose
from chat.answer import Delta, Grounding
from chat.facts import CITATION, ProductFacts, cited
from chat.grounding import StreamingCheck
from core.domain import ConversationTurn
from retrieval.query import Query

INTERRUPTED = "(respuesta interrumpida)"  # ends a stored answer the shopper did not get whole
_MONEY = re.compile(r"\d\s*(?:€|eur)", re.IGNORECASE)  # a refusal has no price to give


@dataclass
class Said:
    """An answer's sentences, how many of them the shopper has seen, and when the first came."""

    parts: list[str] = field(default_factory=list)
    shown: int = 0
    first: float | None = None
    grounding: Grounding = field(default_factory=lambda: Grounding("composed"))

    def settle(self, parts: list[str], grounding: Grounding) -> None:
        self.parts, self.grounding = parts, grounding

    def interrupted(self) -> ConversationTurn:
        """What the shopper had seen when the answer was cut off, marked as such."""
        seen = " ".join(self.parts[: self.shown])
        return ConversationTurn(role="assistant", content=f"{seen} {INTERRUPTED}".strip())

    def unseen(self) -> Iterator[Delta]:
        for sentence in self.parts[self.shown :]:
            self.first = self.first or time.perf_counter()
            delta = Delta(sentence if self.shown == 0 else " " + sentence)
            self.shown += 1  # counted when handed over: a close at the yield has sent it
            yield delta


def settle(
    query: Query,
    facts: Sequence[ProductFacts],
    said: Said,
    check: StreamingCheck,
    now: datetime,
) -> tuple[list[str], Grounding]:
    """What is shown once the model has finished: its checked sentences, or (when they
    disagree with the data) the data's answer after what was already shown; its refusal when
    the data has nothing either; the data's totals and allergen lines after its sentences."""
    if check.led:
        return _with_data_lines(query, facts, *_after_lead(query, facts, said, check, now))
    parts, grounding = said.parts, verdict(check)
    disagrees = compose.disagreement(
        query, facts, " ".join(parts) if check.cited else " ".join(check.uncited[:1]), now
    )
    if compose.leads(query, facts) is None and disagrees is None:
        # the model says it has not got it, and neither has the data: its refusal, uncited and
        # alone (a refusal that cites a product is no refusal)
        refusal = (parts or check.uncited)[:1]
        if not refusal or CITATION.search(refusal[0]) or _MONEY.search(refusal[0]):
            return [compose.compose(query, facts, now)], Grounding(
                "replaced", ["negativa que cita productos o precios"]
            )
        return refusal, Grounding("verified", ["negativa: los datos tampoco lo tienen"])
    if grounding.verdict == "replaced" or disagrees is not None:
        if disagrees is not None and grounding.verdict != "replaced":
            grounding = Grounding("replaced", [*grounding.issues, disagrees])
        return [*parts[: said.shown], compose.compose(query, facts, now)], grounding
    return _with_data_lines(query, facts, parts, grounding)


def _after_lead(
    query: Query, facts: Sequence[ProductFacts], said: Said, check: StreamingCheck, now: datetime
) -> tuple[list[str], Grounding]:
    """After the data's lead, what the model added that holds: its checked sentences while the
    whole still agrees with the data (the lead does, and so did all that was shown). Nothing
    added: the answer is the data's (`composed`), whatever the model wrote."""
    parts, keep = said.parts, len(said.parts)
    while keep > max(check.led, said.shown) and compose.disagreement(
        query, facts, " ".join(parts[:keep]), now
    ):
        keep -= 1
    issues = _problems(check)
    issues += [f"«{s[:80]}»: no concuerda con los datos, no se muestra" for s in parts[keep:]]
    if keep == check.led:
        return parts[:keep], Grounding("composed", issues)
    repaired = bool(issues)  # something the model wrote was not shown
    issues.append("el comienzo de la respuesta lo compone el servicio a partir de los datos")
    return parts[:keep], Grounding("repaired" if repaired else "verified", issues)


def _with_data_lines(
    query: Query, facts: Sequence[ProductFacts], parts: list[str], grounding: Grounding
) -> tuple[list[str], Grounding]:
    """The data's totals and allergen lines after the answer's sentences."""
    named = cited(" ".join(parts), facts) or list(facts[:1])
    if (total := compose.totals(query, named)) is not None:
        parts = [*parts, total]
        grounding.issues.append("total calculado a partir de los datos")
    if compose.asks_about_allergens(query):
        parts = [*parts, compose.allergens(query, named)]
        grounding.issues.append("alérgenos compuestos a partir de los datos")
    return parts, grounding


def _problems(check: StreamingCheck) -> list[str]:
    """The model's sentences not shown, and why."""
    issues = [f"«{d.text[:80]}»: {'; '.join(d.problems)}" for d in check.dropped]
    if check.cut:
        issues.append(f"«{check.cut[:80]}»: cortada por el límite de tokens, no se muestra")
    return issues


def verdict(check: StreamingCheck) -> Grounding:
    issues = _problems(check)
    if not check.cited:
        issues.append("la respuesta del modelo no cita ningún producto válido")
        return Grounding("replaced", issues)
    if len(check.dropped) >= len(check.kept):
        issues.append("la mitad o más de la respuesta no se sostiene")
        return Grounding("replaced", issues)
    return Grounding("repaired" if check.dropped else "verified", issues)
