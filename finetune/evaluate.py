"""Grounded-answer accuracy of a model (+ adapter) on held-out questions: the adapter gate and
the before/after report.

An answer counts as right when the service would show it as the model wrote it and it says what
the gold answer says: it passes the grounding check, cites the product asked about and states
its figure (price, EUR/kg, size, brand, the latest price change); "No encuentro" with no
citation for products that do not exist; a refusal for off-topic requests.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chat.chat_model import ChatModel, Usage
from chat.facts import CITATION, ProductFacts, money, reference, size
from core.text import fold
from finetune.dataset import Example, ungrounded


@dataclass
class Scored:
    family: str
    question: str
    answer: str
    gold: str
    right: bool
    why: str


@dataclass
class EvalReport:
    model: str
    scored: list[Scored] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return sum(s.right for s in self.scored) / max(1, len(self.scored))

    def by_family(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for s in self.scored:
            counts[s.family][0] += s.right
            counts[s.family][1] += 1
        return {family: (right, total) for family, (right, total) in sorted(counts.items())}

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "questions": len(self.scored),
            "accuracy": round(self.accuracy, 4),
            "by_family": {
                f: {"right": r, "questions": n} for f, (r, n) in self.by_family().items()
            },
            "seconds": round(self.seconds, 1),
            "answers": [s.__dict__ for s in self.scored],
        }


def score(example: Example, answer: str) -> tuple[bool, str]:
    text = fold(answer)
    refs = {int(n) for n in CITATION.findall(answer)}
    if example.family == "absent":
        ok = "no encuentro" in text and not refs
        return ok, "" if ok else "should say «No encuentro» without citing a product"
    if example.family == "off_topic":
        ok = "solo puedo ayudarte" in text and not refs
        return ok, "" if ok else "should politely refuse"
    target = next((f for f in example.facts if f.product.id == example.product_id), None)
    if target is None:
        return False, "target product missing from the context"
    problems = ungrounded(answer, example.facts)
    if problems:
        return False, "; ".join(problems)
    if target.ref not in refs:
        return False, f"does not cite [{target.ref}]"
    expected = _figure(example.family, target)
    if expected and expected not in answer:
        return False, f"does not say {expected}"
    return True, ""


def _figure(family: str, f: ProductFacts) -> str | None:
    p = f.product
    if family in ("price", "chain"):
        return money(p.price)
    if family in ("reference_price", "compare"):
        return reference(p)
    if family == "size":
        return size(p)
    if family == "brand":
        return p.brand
    if family == "history" and len(f.history) >= 2:
        return money(f.history[-1].price)
    return None


def evaluate(
    model: ChatModel,
    examples: Sequence[Example],
    max_tokens: int = 96,
    on_answer: Callable[[int, int], None] | None = None,
) -> EvalReport:
    report = EvalReport(model.name)
    started = time.perf_counter()
    for i, example in enumerate(examples, 1):
        prompt = example.prompt_for(model.prompt_format)  # each model on the prompt it reads
        answer = "".join(model.stream(prompt, max_tokens, Usage())).strip()
        right, why = score(example, answer)
        report.scored.append(
            Scored(
                example.family, example.question, answer, example.messages[-1].content, right, why
            )
        )
        if on_answer:
            on_answer(i, len(examples))
    report.seconds = time.perf_counter() - started
    return report


def markdown(reports: Sequence[EvalReport], title: str, worst: int = 6) -> str:
    """Side-by-side accuracy per family, then a few failures of the last model, quoted."""
    families = sorted({f for r in reports for f in r.by_family()})
    lines = [f"# {title}", "", "| family | " + " | ".join(r.model for r in reports) + " |"]
    lines.append("|---|" + "---|" * len(reports))
    for family in families:
        cells = []
        for r in reports:
            right, total = r.by_family().get(family, (0, 0))
            cells.append(f"{right}/{total}")
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    totals = " | ".join(
        f"**{r.accuracy:.1%}** ({sum(s.right for s in r.scored)}/{len(r.scored)})" for r in reports
    )
    lines += [f"| all | {totals} |", ""]
    failures = [s for s in reports[-1].scored if not s.right][:worst]
    if failures:
        lines += [f"## Failures of {reports[-1].model} (first {len(failures)})", ""]
        for s in failures:
            lines += [
                f"- **{s.family}**: «{s.question}»",
                f"  - answer: «{s.answer[:300]}»",
                f"  - expected: «{s.gold}»",
                f"  - why: {s.why}",
            ]
    return "\n".join(lines) + "\n"


def answer_model(settings: Any, lora: Path | None) -> ChatModel:
    """The serving model with exactly this adapter (or none), as the service would run it."""
    from chat.llama_model import LlamaCppChatModel

    fixed = settings.model_copy(
        update={
            "model": settings.model.model_copy(
                update={"lora_path": lora, "use_adapter": False, "temperature": 0.0}
            )
        }
    )
    return LlamaCppChatModel(fixed)
