"""`supersmart eval` end to end with the scripted model on the sample catalogue: answers are
scored and kept, a failing question is recorded and the run goes on, a second run resumes
instead of asking again, and the report's numbers are the JSON's."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from chat.chat_model import Message, Usage
from evaluation import report
from evaluation.report import share, write_report
from evaluation.run import (
    Catalogue,
    eval_settings,
    evaluate,
    prepare,
    rescore,
    sample_catalogue,
)
from tests.app.conftest import chat_settings
from tests.fakes.chat_model import ScriptedChatModel

ANSWER = "Tengo {1.name} [1] a {1.price}."


class Flaky(ScriptedChatModel):
    """Fails on its `fail_on`-th generation (1-based), or on all of them."""

    def __init__(self, fail_on: int | None = None) -> None:
        super().__init__(default=ANSWER)
        self.fail_on = fail_on
        self.calls = 0

    def stream(self, messages: Sequence[Message], max_tokens: int, usage: Usage) -> Iterator[str]:
        self.calls += 1
        if self.fail_on is None or self.calls == self.fail_on:
            raise RuntimeError("llama.cpp ran out of memory")
        return super().stream(messages, max_tokens, usage)


async def test_answers_are_scored_failures_recorded_and_a_rerun_resumes(tmp_path: Path) -> None:
    settings = chat_settings(tmp_path / "user")
    work = tmp_path / "work"
    local = eval_settings(settings, work)
    catalogue = Catalogue(
        "sample", sample_catalogue().files, tmp_path / "questions.json", held_out_only=True
    )
    questions = await prepare(local, catalogue, per_family=2)
    assert {q.family for q in questions.questions} >= {"price", "absent", "injection"}
    assert questions.injected  # the injected text is in the evaluation store, not the user's
    twin = Catalogue("sample", catalogue.files, tmp_path / "twin.json", held_out_only=True)
    await prepare(eval_settings(settings, tmp_path / "twin"), twin, per_family=2)
    assert twin.questions.read_text() == catalogue.questions.read_text()  # same seed, same set

    flaky = Flaky(fail_on=2)
    names = ["rag", "composed"]
    lines = await evaluate(settings, questions, work, names, model=flaky, limit=6)
    assert len(lines) == 12
    failed = [line for line in lines if line["error"]]
    assert len(failed) == 1 and "out of memory" in failed[0]["error"]
    assert not failed[0]["score"]["right"]
    composed = [line for line in lines if line["answerer"] == "composed"]
    assert all(line["score"]["right"] for line in composed), composed

    broken = Flaky()  # a rerun asks nothing already answered
    again = await evaluate(settings, questions, work, names, model=broken, limit=6)
    assert broken.calls == 0 and again == lines
    assert len((work / "answers.jsonl").read_text().splitlines()) == 12

    meta = {"questions": "q.json", "question_count": 6, "model": "fake", "adapter": "none",
            "generated": "2026-11-22", "answerers": names, "lead": "data"}  # fmt: skip
    paths = write_report(tmp_path / "report", "Eval", lines, names, meta, [])
    assert "open with the data's lead" in paths["markdown"].read_text()  # who spoke first
    results = json.loads(paths["json"].read_text())
    right = results["answerers"]["composed"]["metrics"]["right"]
    assert right == {"value": 1.0, "n": 6, "count": 6}
    assert "| right answers | " in paths["markdown"].read_text()
    assert "100% (6/6)" in paths["markdown"].read_text()
    page = paths["html"].read_text()
    assert page.count("<svg") == 3  # the charts, inline: nothing fetched from elsewhere
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "Techniques compared" in page and "composed, right: 100 %" in page


async def test_a_wrong_claim_is_never_right_and_rescoring_asks_no_model(tmp_path: Path) -> None:
    settings = chat_settings(tmp_path / "user")
    work = tmp_path / "work"
    catalogue = Catalogue(
        "sample", sample_catalogue().files, tmp_path / "questions.json", held_out_only=True
    )
    questions = await prepare(eval_settings(settings, work), catalogue, per_family=2)
    liar = ScriptedChatModel(default="{1.name} [1] cuesta 0,07 €.")
    lines = await evaluate(settings, questions, work, ["rag", "composed"], model=liar, limit=2)
    rag = [line for line in lines if line["answerer"] == "rag"]
    for line in rag:  # the right product cited, a price it never had
        assert any(w.startswith("price: 0,07 €") for w in line["score"]["wrong_claims"]), line
        assert not line["score"]["right"]

    again = await rescore(settings, questions, work)  # no model: it would fail if asked
    assert [line["score"] for line in again] == [line["score"] for line in lines]

    meta = {"questions": "q.json", "question_count": 2, "model": "fake", "adapter": "none",
            "generated": "2026-12-01", "answerers": ["rag", "composed"]}  # fmt: skip
    paths = write_report(tmp_path / "report", "Eval", again, ["rag", "composed"], meta, [])
    figures = json.loads(paths["json"].read_text())["answerers"]
    assert figures["rag"]["metrics"]["wrong_claim"] == {"value": 1.0, "n": 2, "count": 2}
    assert figures["composed"]["metrics"]["wrong_claim"] == {"value": 0.0, "n": 2, "count": 0}
    # composed answers are right, but none of them is a model's own text
    assert figures["composed"]["metrics"]["own_text"] == {"value": 0.0, "n": 2, "count": 0}
    assert "| answers with a wrong claim (independent check) | 100% (2/2) | 0% (0/2) |" in (
        paths["markdown"].read_text()
    )


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(404, 405, "99.8%"), (1, 405, "0.2%"), (405, 405, "100%"), (0, 405, "0%"),
     (335, 404, "83%"), (9999, 10000, "99.99%"), (1, 3, "33%"), (0, 0, "-")],
)  # fmt: skip
def test_a_share_reads_all_or_none_only_when_it_is(part: int, whole: int, shown: str) -> None:
    assert share(part, whole) == shown


def test_an_average_is_never_shown_as_a_count_of_answers() -> None:
    """Citation precision 0.5 in two answers is an average, not "1 of 2 answers right"."""
    rows = [{"score": {"citation_precision": 0.5}}, {"score": {"citation_precision": 0.5}}]
    metric = report._metric("rag", rows, "citation_precision")
    assert "count" not in metric
    assert report._cell(metric, "citation_precision") == "50% (2)"
    counted = report._metric("rag", [{"score": {"right": True}}] * 2, "right")
    assert report._cell(counted, "right") == "100% (2/2)"
    assert share(404.9999, 405) == ">99.999%"  # a fraction never reads as all


def test_the_html_report_is_real_markup_and_escapes_what_answers_quote() -> None:
    md = (
        "# t\n\nmeta\n- **Leche** [1] <script>alert(1)</script>\n- `x`\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    page = report._md_to_html(md)
    assert "<ul>" in page and page.count("<li>") == 2 and "</ul>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<strong>Leche</strong>" in page and "<code>x</code>" in page
    assert "<table>" in page and "<td>1</td>" in page
