"""`supersmart eval`: one question set through every answerer, scored, resumable.

Work lives in `<data_dir>/eval/<set>/`: the evaluation's own store and index (the catalogue
plus the injected product texts, so the service's data is never touched) and `answers.jsonl`,
one line per (answerer, question) with the answer, its context and its score, appended as it goes. A
second run skips what is already there, so an interrupted evaluation resumes. A question that
fails (model error, timeout) is recorded with its error and scored wrong; the run goes on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from chat.chat_model import ChatModel
from core.domain import ExecutionStatus, utcnow
from core.errors import NotFoundError
from core.settings import Settings
from evaluation.answerers import (
    AdapterSwitch,
    Answer,
    Answerer,
    Composed,
    FewShot,
    LoraAlone,
    Rag,
    RagLora,
    Service,
    ZeroShot,
    worked_examples,
)
from evaluation.claims import ClaimChecker, vocabulary
from evaluation.metrics import score
from evaluation.questions import Question, QuestionSet, generate
from evaluation.realset import generate_real

log = logging.getLogger(__name__)

ANSWERERS = ("zero-shot", "few-shot", "rag", "lora", "rag+lora", "service", "composed")
MODEL_FREE = {"composed"}
# Few-shot examples: questions about kinds of product, not any one the question sets ask about.
SHOTS = ("¿Cuánto cuesta el agua mineral?", "¿Qué galletas sin gluten hay?")
Progress = Callable[[str, int, int, int], None]  # answerer, done, total, right so far


@dataclass
class Catalogue:
    """What the evaluation store is built from, and where its question set lives."""

    name: str
    files: list[tuple[Path, str]]
    questions: Path  # loaded when it exists, else generated from the catalogue and saved
    held_out_only: bool = False  # ask only about products the shipped adapter never trained on
    real: bool = False  # the real-data question set (`evaluation/realset.py`), not the generic


def sample_catalogue() -> Catalogue:
    from ingestion.sample import SAMPLE_CATALOGUE

    return Catalogue(
        "sample",
        [(SAMPLE_CATALOGUE, "jsonl")],
        Path(__file__).with_name("questions") / "sample.json",
        held_out_only=True,
    )


def shared_catalogue(work: Path, root: Path) -> Catalogue:
    """The real catalogues in `root` (`settings.shared_data_dir`)."""
    files = [
        (root / "mercadona_2025-03_products.csv", "mercadona-csv"),
        (root / "consum_dia_supermercadosmas_2024-04.csv", "multichain-csv"),
        (root / "mercadona_2025-10_food_details.jsonl", "mercadona-food-jsonl"),  # allergens
    ]
    missing = [str(path) for path, _ in files if not path.exists()]
    if missing:
        raise NotFoundError(
            f"The shared data set is not there ({', '.join(missing)}): put ../shared/data beside "
            "the checkout and run from the checkout, or set SUPERSMART_SHARED_DATA_DIR to where "
            "it is (or run `supersmart eval` with the sample questions)."
        )
    return Catalogue("shared", files, work / "questions.json")


def real_catalogue(work: Path, root: Path) -> Catalogue:
    """The real catalogues and the Mercadona price history; questions generated into `work`
    (from data that is not ours to copy into the repository)."""
    shared = shared_catalogue(work, root)
    history = root / "mercadona_2025-03_price_history.csv"
    if not history.exists():
        raise NotFoundError(f"The Mercadona price history is not there ({history}).")
    files = [shared.files[0], (history, "mercadona-history"), *shared.files[1:]]
    return Catalogue("real", files, work / "questions.json", real=True)


def eval_settings(settings: Settings, work: Path) -> Settings:
    """The user's settings on the evaluation's own data dir; the model file is shared."""
    model = settings.model.model_copy(update={"path": settings.model_path.resolve()})
    return settings.model_copy(
        update={
            "data_dir": work / "data",
            "model": model,
            "datalake": settings.datalake.model_copy(update={"enabled": False}),
            "store": settings.store.model_copy(update={"backend": "sqlite", "sqlite_path": None}),
        }
    )


async def prepare(settings: Settings, catalogue: Catalogue, per_family: int = 8) -> QuestionSet:
    """The evaluation store (catalogue imported, injected texts written, indexed) and its
    question set. Each part is skipped when already done, so a rerun starts answering at once."""
    from ingestion.importers import ReadContext, get_reader
    from ingestion.imports import FileImport
    from retrieval.build import all_products, build_index
    from retrieval.embedder import create_embedder
    from storage.factory import create_store

    store = create_store(settings)
    await store.initialize()
    try:
        if await store.count_products() == 0:
            for path, fmt in catalogue.files:
                await FileImport(store, None, settings.imports).run(
                    get_reader(fmt), path, ReadContext()
                )
        if catalogue.questions.exists():
            questions = QuestionSet.load(catalogue.questions)
        else:
            products = await all_products(store)
            if catalogue.real:
                histories = {p.id: await store.price_history(p.id) for p in products
                             if p.chain == "mercadona"}  # fmt: skip
                questions = generate_real(products, histories)
            else:
                questions = generate(
                    catalogue.name, products, per_family, 0, catalogue.held_out_only
                )
            questions.save(catalogue.questions)
        if not (settings.index_path / "CURRENT").exists():
            products_by_id = await store.get_products(list(questions.injected))
            run = await store.start_execution("eval:injection", "import")
            changed = [
                p.model_copy(update={"ingredients": questions.injected[p.id]})
                for p in products_by_id.values()
            ]
            await store.upsert_products(run.id, changed)
            await store.finish_execution(run.id, ExecutionStatus.COMPLETED)
            await build_index(store, settings, create_embedder(settings.retrieval))
    finally:
        await store.close()
    return questions


def _answerers(
    names: Sequence[str], model: ChatModel | None, service: Any, shots: list[Any], max_tokens: int
) -> list[Answerer]:
    made: dict[str, Answerer] = {"service": Service(service), "composed": Composed(service)}
    if model is not None:
        made |= {
            "zero-shot": ZeroShot(model, max_tokens),
            "lora": LoraAlone(model, max_tokens),
            "rag": Rag(model, max_tokens, service),
            "rag+lora": RagLora(model, max_tokens, service),
            "few-shot": FewShot(model, max_tokens, service, shots=shots),
        }
    missing = [n for n in names if n not in made]
    if missing:
        raise ValueError(
            f"Answerers {', '.join(missing)} need the model: set SUPERSMART_MODEL__BACKEND="
            "llama-cpp (and `make setup`), or run only `--answerers composed`."
        )
    return [made[n] for n in names]


async def evaluate(
    settings: Settings,
    questions: QuestionSet,
    work: Path,
    names: Sequence[str] = ANSWERERS,
    model: ChatModel | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
    adapter: Path | Literal["in service"] | None = "in service",
    answers_path: Path | None = None,
) -> list[dict[str, Any]]:
    """Answer and score every question with every answerer (after `prepare`); returns every
    answer line, those of earlier runs included. `adapter`: the LoRA the model answerers use
    (default: the one in service; None: the bare model); `answers_path`: where answers are
    kept (default: `work/answers.jsonl`), e.g. one file per adapter compared."""
    from chat.runtime import open_runtime
    from finetune.registry import AdapterRegistry

    local = eval_settings(settings, work)
    if adapter == "in service":
        adapter = AdapterRegistry.of(settings).current()
    switch = AdapterSwitch(adapter)
    needs_model = any(n not in MODEL_FREE for n in names)
    if model is None and not needs_model:
        data_only = local.model.model_copy(update={"backend": "data-only"})
        local = local.model_copy(update={"model": data_only})
    if model is None and needs_model and settings.model.backend != "data-only":
        from chat.llama_model import LlamaCppChatModel, ensure_model_file

        ensure_model_file(settings)  # the packaged model, assembled in the user's data dir once
        model = LlamaCppChatModel(local, adapter=switch)
    runtime = await open_runtime(local, model=model)
    answers_path = answers_path or work / "answers.jsonl"
    done = _done(answers_path)
    asked = questions.questions[:limit] if limit else questions.questions
    try:
        from retrieval.build import all_products

        checker = ClaimChecker(vocabulary(p.name for p in await all_products(runtime.store)))
        shots = await worked_examples(runtime.service, SHOTS)
        max_tokens = local.model.max_tokens
        for answerer in _answerers(names, model, runtime.service, shots, max_tokens):
            switch.on = answerer.uses_adapter
            right = sum(
                1 for (a, _), line in done.items() if a == answerer.name and line["score"]["right"]
            )
            for number, question in enumerate(asked, 1):
                if (answerer.name, question.id) not in done:
                    line = await _one(answerer, question, checker)
                    _append(answers_path, line)
                    done[(answerer.name, question.id)] = line
                    right += bool(line["score"]["right"])
                if progress:
                    progress(answerer.name, number, len(asked), right)
    finally:
        await runtime.close()
    return [done[(n, q.id)] for n in names for q in asked if (n, q.id) in done]


async def _one(answerer: Answerer, question: Question, checker: ClaimChecker) -> dict[str, Any]:
    started = time.perf_counter()
    error = None
    try:
        answer = await answerer.answer(question.text)
    except Exception as exc:  # recorded and scored wrong; the other questions still run
        log.warning("%s failed on %s: %s", answerer.name, question.id, exc)
        error = f"{type(exc).__name__}: {exc}"
        answer = Answer("", latency_ms=round((time.perf_counter() - started) * 1000, 1))
    scored = score(question, answer.text, answer.context, checker)
    if error:
        scored.right = False
        scored.why.insert(0, error)
    return {
        "answerer": answerer.name,
        "question_id": question.id,
        "family": question.family,
        "part": question.part,
        "question": question.text,
        "answer": answer.text,
        "context": [_context_line(f) for f in answer.context],
        "verdict": answer.verdict,
        "latency_ms": answer.latency_ms,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "error": error,
        "score": asdict(scored),
        "at": utcnow().isoformat(),
    }


def _context_line(f: Any) -> str:
    from chat.facts import money

    p = f.product
    return f"[{f.ref}] {p.name} | {p.chain} | {money(p.price)} | {p.id}"


def _done(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    if not path.exists():
        return {}
    done = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a line cut by an interruption: that question is asked again
        done[(line["answerer"], line["question_id"])] = line
    return done


def _append(path: Path, line: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


async def rescore(settings: Settings, questions: QuestionSet, work: Path) -> list[dict[str, Any]]:
    """Score the recorded answers again with today's scorer, asking no model: each answer's
    context is rebuilt from the evaluation store by the product ids it recorded. For a change to
    the scoring (the independent claim checker) without hours of generation."""
    from chat.facts import ProductFacts
    from retrieval.build import all_products
    from storage.factory import create_store

    path = work / "answers.jsonl"
    lines = read_answers(path)
    by_id = {q.id: q for q in questions.questions}
    store = create_store(eval_settings(settings, work))
    await store.initialize()
    try:
        products = {p.id: p for p in await all_products(store)}
        checker = ClaimChecker(vocabulary(p.name for p in products.values()))
        for line in lines:
            context = []
            for entry in line["context"]:
                ref, product_id = int(entry[1 : entry.index("]")]), entry.rsplit("|", 1)[1].strip()
                history = tuple(await store.price_history(product_id))
                context.append(ProductFacts(ref, products[product_id], history))
            made = datetime.fromisoformat(line["at"]) if line.get("at") else None
            scored = score(by_id[line["question_id"]], line["answer"], context, checker, made)
            if line["error"]:
                scored.right = False
                scored.why.insert(0, line["error"])
            line["score"] = asdict(scored)
    finally:
        await store.close()
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    return lines


def read_answers(path: Path) -> list[dict[str, Any]]:
    return list(_done(path).values())
