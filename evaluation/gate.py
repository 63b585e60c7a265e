"""The adapter gate on the real development questions: the whole service with the candidate
adapter against the service with the adapter in service (or the bare model), on the same
questions, scored by the independent checker (`evaluation/claims.py`).

A candidate passes when it has no more answers with a wrong claim, at least as many right
answers and, on a tie, at least as many right answers in the model's own words (not replaced
or composed from the data): a model that is thrown away more often has not earned its place.
Each adapter is judged writing its whole reply (`chat.lead = "model"`), not only what it adds
after the data's lead, so a weaker adapter cannot hide behind the data's words.
Answers are kept per adapter and per version of the code that makes and checks them
(`<data_dir>/eval/real/gate/<adapter>-<code>.jsonl`), so a rerun or a second comparison with
the same adapter asks nothing again, and a change to the grounding check or the retriever is
never judged on answers the previous code gave.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.settings import Settings
from evaluation.run import Progress, eval_settings, evaluate, prepare, real_catalogue
from finetune.dataset import Example
from finetune.job import Judge

OWN = frozenset({"verified", "repaired"})  # the model's text, as the service showed it


ANSWER_CODE = ("chat", "retrieval", "core")  # the packages an answer's words depend on


def code_digest(packages: Sequence[Path] | None = None) -> str:
    """A digest of the Python source of `packages` (default: `ANSWER_CODE`)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in packages or [root / name for name in ANSWER_CODE]:
        for source in sorted(package.rglob("*.py")):
            digest.update(source.relative_to(package).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:8]


def cache_key(adapter: Path | None, code: str | None = None) -> str:
    """Its folder, a digest of its bytes and one of the answering code (`code_digest()`): a
    version shipped under another folder, a folder whose adapter was replaced, or the same
    adapter behind a changed service is never mistaken for another."""
    code = code or code_digest()
    if adapter is None:
        return f"no-adapter-{code}"
    digest = hashlib.sha256(adapter.read_bytes()).hexdigest()[:12]
    folder = adapter.parent.name if adapter.name == "adapter.gguf" else adapter.stem
    return f"{folder}-{digest}-{code}"


def tally(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Right answers, answers with a wrong claim and right answers in the model's own words."""
    right = [line for line in lines if line["score"]["right"]]
    return {
        "questions": len(lines),
        "right": len(right),
        "accuracy": round(len(right) / max(1, len(lines)), 4),
        "wrong_claims": sum(bool(line["score"]["wrong_claims"]) for line in lines),
        "own_words": sum(line["verdict"] in OWN for line in right),
    }


def passes(candidate: dict[str, Any], baseline: dict[str, Any]) -> bool:
    if candidate["wrong_claims"] > baseline["wrong_claims"]:
        return False
    ours, theirs = int(candidate["right"]), int(baseline["right"])
    return ours > theirs or (ours == theirs and candidate["own_words"] >= baseline["own_words"])


async def compare_adapters(
    settings: Settings,
    candidate: Path,
    baseline: Path | None,
    part: str = "dev",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The verdict (same keys as the catalogue gate's: `candidate`, `baseline`, `accuracy`,
    `passes`, `promoted`) of `candidate` against `baseline` on the real set's `part`."""
    # Each adapter writes its whole reply (`chat.lead = "model"`): after the data's lead it
    # would add a sentence at most, and an adapter that writes nothing useful would pass.
    settings = settings.model_copy(
        update={"chat": settings.chat.model_copy(update={"lead": "model"})}
    )
    work = settings.data_dir / "eval" / "real"
    catalogue = real_catalogue(work, settings.shared_data_dir)
    questions = await prepare(eval_settings(settings, work), catalogue)
    questions.questions = [q for q in questions.questions if q.part == part]
    tallies = {}
    for role, adapter in (("candidate", candidate), ("baseline", baseline)):
        answers = work / "gate" / f"{cache_key(adapter)}.jsonl"
        lines = await evaluate(
            settings, questions, work, ["service"], progress=progress, adapter=adapter,
            answers_path=answers,
        )  # fmt: skip
        tallies[role] = tally(lines) | {"adapter": str(adapter) if adapter else None}
    return {
        "questions": f"real set, {part} part ({len(questions.questions)} questions)",
        "candidate": tallies["candidate"],
        "baseline": tallies["baseline"],
        "accuracy": tallies["candidate"]["accuracy"],
        "passes": passes(tallies["candidate"], tallies["baseline"]),
        "promoted": False,
    }


def judge_on_real(settings: Settings, candidate: Path, baseline: Path | None) -> dict[str, Any]:
    return asyncio.run(compare_adapters(settings, candidate, baseline))


def real_gate(_held_out: Sequence[Example]) -> Judge:
    """The gate for a training run: the real development questions, not its own examples."""
    return judge_on_real


def summary(verdict: dict[str, Any]) -> str:
    """One line for a terminal: the candidate's figures against the baseline's."""
    c, b = verdict["candidate"], verdict["baseline"]
    return (
        f"right {c['right']} vs {b['right']}, wrong claims {c['wrong_claims']} vs "
        f"{b['wrong_claims']}, model's own words {c['own_words']} vs {b['own_words']} "
        f"({verdict['questions']})"
    )


def markdown(verdict: dict[str, Any], title: str) -> str:
    """The two columns side by side, as `supersmart adapters report --questions real` writes."""
    c, b = verdict["candidate"], verdict["baseline"]
    rows = [
        ("adapter", c["adapter"] or "none", b["adapter"] or "none"),
        ("right answers", f"{c['right']}/{c['questions']}", f"{b['right']}/{b['questions']}"),
        ("answers with a wrong claim", c["wrong_claims"], b["wrong_claims"]),
        ("right, in the model's own words", c["own_words"], b["own_words"]),
    ]
    lines = [f"# {title}", "", f"Questions: {verdict['questions']}.", ""]
    lines += ["| | candidate | baseline |", "|---|---|---|"]
    lines += [f"| {name} | {ours} | {theirs} |" for name, ours, theirs in rows]
    lines += ["", "Passes the gate: " + ("yes" if verdict["passes"] else "no") + "."]
    return "\n".join(lines) + "\n"
