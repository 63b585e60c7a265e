"""`supersmart eval`: RAG vs LoRA vs few-shot (and more) on one question set, with a report."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from cli.runtime import console, get_settings, user_errors


def evaluate(
    ctx: typer.Context,
    questions: str = typer.Option(
        "sample",
        help="Question set: 'sample' (the bundled catalogue, committed questions), 'real' (about "
        "400 questions built from ../shared/data with a held-out part) or 'shared' (the generic "
        "families on ../shared/data).",
    ),
    part: str = typer.Option(
        "all", help="Which part of the set: 'dev', 'held-out' or 'all' (real set)."
    ),
    answerers: str = typer.Option(
        "zero-shot,few-shot,rag,lora,rag+lora,service,composed",
        help="Comma-separated answerers to compare.",
    ),
    out: Path | None = typer.Option(
        None, help="Report folder (default: <data_dir>/eval/<set>/report)."
    ),
    limit: int | None = typer.Option(None, help="Only the first N questions (a quick look)."),
    retrieval: bool = typer.Option(True, help="Also compare retrieval variants."),
    fresh: bool = typer.Option(
        False, help="Start over: rebuild the evaluation store and ask everything again."
    ),
    rescore: bool = typer.Option(
        False, help="Ask nothing: score the recorded answers again (after a scoring change)."
    ),
    answers: bool = typer.Option(
        True,
        help="Keep every answer in results.json (--no-answers for a committed report on "
        "data that is not ours to copy: figures and a few examples only).",
    ),
) -> None:
    """Answer one question set with several techniques and write REPORT.md, report.html and
    results.json. Interrupted runs resume where they stopped."""
    import asyncio
    import json

    from evaluation.job import EvaluationRequest, run_evaluation
    from evaluation.report import share

    settings = get_settings(ctx)
    request = EvaluationRequest(
        questions=questions,
        answerers=tuple(n.strip() for n in answerers.split(",") if n.strip()),
        part=part,
        limit=limit,
        retrieval=retrieval,
        fresh=fresh,
        rescore=rescore,
        answers=answers,
        out=out,
    )
    started: dict[str, float] = {}

    def progress(answerer: str, done: int, total: int, right: int) -> None:
        started.setdefault(answerer, time.monotonic())
        if done % 8 == 0 or done == total:
            per = (time.monotonic() - started[answerer]) / done
            console.print(
                f"{answerer:>9}: {done}/{total} questions, {right} right, "
                f"ETA {per * (total - done):.0f} s"
            )

    def stage(name: str) -> None:
        if name in STAGES:
            console.print(f"[dim]{STAGES[name]}[/]")

    with user_errors():
        paths = asyncio.run(run_evaluation(settings, request, progress, stage))
    summary = json.loads(paths["json"].read_text(encoding="utf-8"))["answerers"]
    for name, figures in summary.items():
        right = figures["metrics"]["right"]
        right_n = right["count"]
        console.print(
            f"{name:>9}: {share(right_n, right['n'])} right ({right_n} of {right['n']} questions)"
        )
    console.print(f"Report: {paths['markdown']} and {paths['html']} (numbers: {paths['json']})")


STAGES = {
    "preparing": "Preparing the evaluation store and index...",
    "retrieval": "Comparing retrieval variants...",
}
