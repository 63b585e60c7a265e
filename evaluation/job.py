"""`run_evaluation(settings, request)`: one question set asked of several answerers, scored,
and written as a report; what `supersmart eval` runs. The command line only parses and prints."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.domain import utcnow
from core.errors import InputError
from core.settings import Settings
from evaluation import retrieval_eval
from evaluation.report import write_report
from evaluation.run import (
    Catalogue,
    Progress,
    eval_settings,
    evaluate,
    prepare,
    real_catalogue,
    rescore,
    sample_catalogue,
    shared_catalogue,
)
from finetune.registry import AdapterRegistry

QUESTION_SETS = ("sample", "real", "shared")
PARTS = ("dev", "held-out", "all")
Stage = Callable[[str], None]  # "preparing", "answering", "retrieval", "report"


@dataclass(frozen=True)
class EvaluationRequest:
    questions: str = "sample"  # one of QUESTION_SETS
    answerers: tuple[str, ...] = ("zero-shot", "few-shot", "rag", "lora", "rag+lora", "service",
                                  "composed")  # fmt: skip
    part: str = "all"  # one of PARTS (the real set has a held-out part)
    limit: int | None = None  # only the first N questions
    retrieval: bool = True  # also compare retrieval variants
    fresh: bool = False  # rebuild the evaluation store and ask everything again
    rescore: bool = False  # ask nothing: score the recorded answers again
    answers: bool = True  # keep every answer in results.json
    out: Path | None = None  # report folder (default: <data_dir>/eval/<set>/report)

    def check(self) -> None:
        if self.questions not in QUESTION_SETS:
            raise InputError(f"--questions is one of {', '.join(QUESTION_SETS)}.")
        if self.part not in PARTS:
            raise InputError(f"--part is one of {', '.join(PARTS)}.")


async def run_evaluation(
    settings: Settings,
    request: EvaluationRequest,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> dict[str, Path]:
    """Ask, score and report; returns the report's paths (`markdown`, `html`, `json`).
    Interrupted runs resume where they stopped unless `fresh`."""
    request.check()
    say = stage or (lambda _: None)
    work = settings.data_dir / "eval" / request.questions
    if request.fresh and work.exists():
        shutil.rmtree(work)  # its store, index and answers: everything is asked again
    catalogue = _catalogue(request.questions, work, settings)
    local = eval_settings(settings, work)
    say("preparing")
    question_set = await prepare(local, catalogue)
    if request.part != "all":
        question_set.questions = [q for q in question_set.questions if q.part == request.part]
    say("answering")
    names = list(request.answerers)
    try:
        lines = (
            await rescore(settings, question_set, work)
            if request.rescore
            else await evaluate(
                settings, question_set, work, names, progress=progress, limit=request.limit
            )
        )
    except ValueError as exc:  # an answerer nobody knows
        raise InputError(str(exc)) from exc
    variants = []
    if request.retrieval:
        say("retrieval")
        variants = await retrieval_eval.compare(local, question_set.questions)
    say("report")
    asked = question_set.questions[: request.limit] if request.limit else question_set.questions
    adapter = AdapterRegistry.of(settings).current()
    meta: dict[str, Any] = {
        "questions": "evaluation/realset.py over ../shared/data, seed 0"
        if catalogue.real
        else shown(catalogue.questions),
        "question_count": len(asked),
        "model": settings.model_path.name,
        "adapter": shown(adapter) if adapter else "none",
        "generated": utcnow().strftime("%Y-%m-%d"),
        "answerers": names,
        "rescored": request.rescore,
        "lead": settings.chat.lead,
    }
    title = f"SuperSmart evaluation: {request.questions} question set"
    out = request.out or work / "report"
    return write_report(out, title, lines, names, meta, variants, with_answers=request.answers)


def _catalogue(name: str, work: Path, settings: Settings) -> Catalogue:
    if name == "sample":
        return sample_catalogue()
    chosen = real_catalogue if name == "real" else shared_catalogue
    return chosen(work, settings.shared_data_dir)


def shown(path: Path) -> str:
    """Paths in the repository relative to it (a committed report must not name /home/...)."""
    root = Path(__file__).resolve().parents[1]
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(path)
