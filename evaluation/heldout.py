"""A model (+ adapter) on the held-out questions of its training set: the default adapter gate
and `supersmart adapters report --questions catalogue`.

Each held-out example becomes a `Question` whose gold is the example's product and figure, and
the model's reply is scored by `evaluation.metrics.score`, the one scorer the real-data harness
uses too. The reply is scored as the service would show it: one the service's grounding check
rejects would be replaced before a user saw it, so it is not the model's right answer.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chat.chat_model import ChatModel, Usage
from chat.facts import ProductFacts, cited, money, reference, size
from core.settings import Settings
from evaluation.metrics import score
from evaluation.questions import Gold, Question
from finetune.dataset import Example, ungrounded
from finetune.job import Judge


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


def question_of(example: Example) -> Question:
    """The example as a scored question: cite its product and state its figure; say «No
    encuentro» (or decline) when nothing answers it."""
    family = example.family
    if family == "absent":  # «No encuentro ...», no product offered instead
        return Question(
            family, family, example.question, Gold(answerable=False, cites_nothing=True)
        )
    if family == "off_topic":  # declined politely, nothing else said
        refusal = Gold(answerable=False, cites_nothing=True, states="solo puedo ayudarte")
        return Question(family, family, example.question, refusal)
    target = next((f for f in example.facts if f.product.id == example.product_id), None)
    # what a right answer may cite: the example's product first, then any its gold answer lists
    listed = [f.product.id for f in cited(example.messages[-1].content, example.facts)]
    gold = Gold(product_ids=tuple(i for i in dict.fromkeys([example.product_id, *listed]) if i))
    if target is not None:
        gold = _with_figure(gold, family, target)
    return Question(family, family, example.question, gold)


def _with_figure(gold: Gold, family: str, target: ProductFacts) -> Gold:
    p = target.product
    if family in ("price", "chain"):
        return Gold(gold.product_ids, price=money(p.price))
    if family in ("reference_price", "compare"):
        return Gold(gold.product_ids, reference_price=reference(p))
    if family == "size":
        return Gold(gold.product_ids, states=size(p))
    if family == "brand":
        return Gold(gold.product_ids, states=p.brand)
    if family == "history" and len(target.history) >= 2:
        return Gold(gold.product_ids, price=money(target.history[-1].price))
    return gold


def judge_answer(example: Example, answer: str) -> tuple[bool, str]:
    """Right or not, and why not."""
    if example.family not in ("absent", "off_topic") and not any(
        f.product.id == example.product_id for f in example.facts
    ):
        return False, "target product missing from the context"
    replaced = ungrounded(answer, example.facts)
    if replaced:  # the service would not show it as written
        return False, "; ".join(replaced)
    result = score(question_of(example), answer, example.facts)
    return result.right, "; ".join(result.why)


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
        right, why = judge_answer(example, answer)
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


def answer_model(settings: Settings, lora: Path | None) -> ChatModel:
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


def judge_on_examples(
    validation: Sequence[Example],
    model_for: Callable[[Settings, Path | None], ChatModel] = answer_model,
) -> Judge:
    """A gate: the candidate and the adapter in service (or the bare model) on the same
    held-out examples; it passes when at least as accurate."""

    def judge(settings: Settings, candidate: Path, baseline: Path | None) -> dict[str, Any]:
        ours = evaluate(model_for(settings, candidate), validation)
        theirs = evaluate(model_for(settings, baseline), validation)
        return {
            "candidate": ours.to_json(),
            "baseline": theirs.to_json() | {"adapter": str(baseline) if baseline else None},
            "accuracy": round(ours.accuracy, 4),
            "passes": ours.accuracy >= theirs.accuracy,
            "promoted": False,
        }

    return judge
