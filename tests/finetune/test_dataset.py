"""Training data from the sample catalogue: the service's own prompts, gold answers that pass
the service's grounding check, a split by product, and the same file for the same seed."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from chat.compose import compose, disagreement
from chat.prompt import DRAFT_RULES, PromptFormat
from chat.runtime import open_runtime
from core.domain import utcnow
from finetune.dataset import (
    FAMILIES,
    DatasetBuilder,
    DatasetReport,
    Example,
    data_hash,
    ungrounded,
    write_jsonl,
)
from retrieval.build import all_products
from tests.app.conftest import chat_settings
from tests.fakes.chat_model import ScriptedChatModel


async def _build(
    data_dir: Path, seed: int, out: Path
) -> tuple[list[Example], dict[str, Path], DatasetReport]:
    settings = chat_settings(data_dir, model={"backend": "data-only"})
    runtime = await open_runtime(settings)
    try:
        builder = DatasetBuilder(runtime.service, seed=seed)
        examples = await builder.build(await all_products(runtime.store))
        # what the service itself would send for the first question
        first = examples[0]
        question = first.messages[-2].content.split("Pregunta: ")[1]
        served = await runtime.service.prepare(question)
    finally:
        await runtime.close()
    assert [m.content for m in served.messages] == [m.content for m in first.messages[:-1]]
    return examples, write_jsonl(examples, out), builder.report


async def test_examples_cover_every_family_and_teach_only_grounded_answers(
    data_dir: Path, tmp_path: Path
) -> None:
    examples, _, report = await _build(data_dir, 0, tmp_path / "a")
    families = Counter(e.family for e in examples)
    assert set(families) == set(FAMILIES)
    assert report.families == families
    assert len(examples) > 1000
    for example in examples:
        answer = example.messages[-1].content
        assert example.messages[-1].role == "assistant"
        assert ungrounded(answer, example.facts) == [], answer
        if example.family in ("absent", "off_topic"):
            assert "[" not in answer
        else:  # cites the product it is about
            ref = next(f.ref for f in example.facts if f.product.id == example.product_id)
            assert f"[{ref}]" in answer
    refusal = next(e for e in examples if e.family == "absent").messages[-1].content
    assert refusal.startswith("No encuentro")


async def test_split_is_by_product_and_the_output_is_deterministic(
    data_dir: Path, tmp_path: Path
) -> None:
    examples, paths, _ = await _build(data_dir, 0, tmp_path / "a")
    train = {e.product_id for e in examples if e.split == "train"} - {None}
    validation = {e.product_id for e in examples if e.split == "validation"} - {None}
    assert validation and not train & validation
    assert 0.05 < len(validation) / (len(train) + len(validation)) < 0.2
    for family in ("absent", "off_topic"):  # refusals are held out by question, not by example
        asked = {
            split: {_asked(e) for e in examples if e.family == family and e.split == split}
            for split in ("train", "validation")
        }
        assert asked["validation"] and not asked["train"] & asked["validation"], family

    record = json.loads(paths["train"].read_text(encoding="utf-8").splitlines()[0])
    assert [m["role"] for m in record["messages"]][-2:] == ["user", "assistant"]
    assert record["messages"][0]["role"] == "system"

    _, again, _ = await _build(data_dir, 0, tmp_path / "b")
    assert data_hash(paths) == data_hash(again)
    _, other, _ = await _build(data_dir, 1, tmp_path / "c")
    assert data_hash(paths) != data_hash(other)


def _asked(example: Example) -> str:
    """The thing or question asked about: "¿Tenéis kimchi?" and "¿Dónde compro kimchi?" agree."""
    question = example.messages[-2].content.split("Pregunta: ")[1].strip()
    if example.family == "off_topic":
        return str(question)
    answer = example.messages[-1].content.removeprefix("No encuentro ")
    return str(answer.split(" en los ")[0].rstrip("."))


@pytest.mark.parametrize("prompt", ["draft", "brief"])
async def test_draft_examples_are_short_replies_the_service_accepts_to_the_prompt_it_sends(
    data_dir: Path, prompt: PromptFormat
) -> None:
    """`prompt: draft` (and `brief`, the same without the rules): the model reads the question
    and the composed answer, exactly as the service sends them, and learns a reply that names
    the product the data decided."""
    model = ScriptedChatModel(prompt_format=prompt)
    runtime = await open_runtime(chat_settings(data_dir), model=model)
    try:
        builder = DatasetBuilder(runtime.service, seed=0, prompt=prompt)
        examples = await builder.build(await all_products(runtime.store))
        sampled = examples[:: max(1, len(examples) // 120)]
        prepared = []
        for example in sampled:
            question = example.messages[-2].content.split("\n")[0].removeprefix("Pregunta: ")
            prepared.append(await runtime.service.prepare(question))
        await runtime.service.ask(question, history=[])
    finally:
        await runtime.close()
    assert [m.content for m in model.prompts[0]] == [m.content for m in sampled[-1].messages[:-1]]
    assert (model.prompts[0][0].content == DRAFT_RULES) == (prompt == "draft")
    families = Counter(e.family for e in examples)
    assert {"price", "compare", "history", "allergens", "absent", "size", "under"} <= set(families)
    assert "ingredients" not in families  # the composed answer does not hold them
    lists = 0
    for example, served in zip(sampled, prepared, strict=True):
        reply = example.messages[-1].content
        draft = example.messages[-2].content.split("Datos: ")[1]
        assert draft == compose(served.query, served.facts, utcnow())
        assert ungrounded(reply, served.facts, DRAFT_RULES) == [], reply
        assert disagreement(served.query, served.facts, reply, utcnow()) is None, reply
        if example.family == "under":  # every product under the price, as the draft has
            assert set(re.findall(r"\[\d+\]", reply)) == set(re.findall(r"\[\d+\]", draft))
        elif draft.startswith("Tengo ") and draft.count("[") > 2:  # a list: it picks the one
            lists += 1
            assert reply.count("[") == 1 and len(reply) < len(draft) / 2, (reply, draft)
    assert lists > 10
