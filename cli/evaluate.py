"""`supersmart eval`: RAG vs LoRA vs few-shot (and more) on one question set, with a report."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from cli.runtime import console, err_console, get_settings, user_errors


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

    from core.domain import utcnow
    from evaluation import retrieval_eval
    from evaluation.report import share, write_report
    from evaluation.run import (
        eval_settings,
        prepare,
        real_catalogue,
        sample_catalogue,
        shared_catalogue,
    )
    from evaluation.run import (
        evaluate as run_evaluation,
    )
    from evaluation.run import rescore as rescore_answers

    settings = get_settings(ctx)
    names = [n.strip() for n in answerers.split(",") if n.strip()]
    work = settings.data_dir / "eval" / questions
    started: dict[str, float] = {}

    def progress(answerer: str, done: int, total: int, right: int) -> None:
        started.setdefault(answerer, time.monotonic())
        if done % 8 == 0 or done == total:
            per = (time.monotonic() - started[answerer]) / done
            console.print(
                f"{answerer:>9}: {done}/{total} questions, {right} right, "
                f"ETA {per * (total - done):.0f} s"
            )

    with user_errors():
        if questions not in ("sample", "shared", "real"):
            raise typer.BadParameter("--questions is 'sample', 'real' or 'shared'.")
        if part not in ("dev", "held-out", "all"):
            raise typer.BadParameter("--part is 'dev', 'held-out' or 'all'.")
        if fresh and work.exists():
            import shutil

            shutil.rmtree(work)  # its store, index and answers: everything is asked again
        if questions == "sample":
            catalogue = sample_catalogue()
        else:
            chosen = real_catalogue if questions == "real" else shared_catalogue
            catalogue = chosen(work, settings.shared_data_dir)
        local = eval_settings(settings, work)
        with console.status("Preparing the evaluation store and index..."):
            question_set = asyncio.run(prepare(local, catalogue))
        if part != "all":
            question_set.questions = [q for q in question_set.questions if q.part == part]
        try:
            lines = (
                asyncio.run(rescore_answers(settings, question_set, work))
                if rescore
                else asyncio.run(
                    run_evaluation(
                        settings, question_set, work, names, progress=progress, limit=limit
                    )
                )
            )
        except ValueError as exc:
            err_console.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
        variants = []
        if retrieval:
            with console.status("Comparing retrieval variants..."):
                variants = asyncio.run(retrieval_eval.compare(local, question_set.questions))
        from finetune.registry import AdapterRegistry

        adapter = AdapterRegistry(settings.data_dir / "adapters").current()
        meta = {
            "questions": "evaluation/realset.py over ../shared/data, seed 0"
            if catalogue.real
            else _shown(catalogue.questions),
            "question_count": len(
                question_set.questions[:limit] if limit else question_set.questions
            ),
            "model": settings.model_path.name,
            "adapter": _shown(adapter) if adapter else "none",
            "generated": utcnow().strftime("%Y-%m-%d"),
            "answerers": names,
            "rescored": rescore,
        }
        title = f"SuperSmart evaluation: {questions} question set"
        paths = write_report(
            out or work / "report", title, lines, names, meta, variants, with_answers=answers
        )
    summary = json.loads(paths["json"].read_text(encoding="utf-8"))["answerers"]
    for name, figures in summary.items():
        right = figures["metrics"]["right"]
        right_n = right["count"]
        console.print(
            f"{name:>9}: {share(right_n, right['n'])} right ({right_n} of {right['n']} questions)"
        )
    console.print(f"Report: {paths['markdown']} and {paths['html']} (numbers: {paths['json']})")


def _shown(path: Path) -> str:
    """Paths in the repository relative to it (a committed report must not name /home/...)."""
    root = Path(__file__).resolve().parents[1]
    resolved = path.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else str(path)
