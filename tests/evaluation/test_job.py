"""`run_evaluation(settings, request)`: the job behind `supersmart eval`, callable without the
command line (the pipeline, a notebook), with its stages reported and bad requests refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import InputError
from evaluation.job import EvaluationRequest, run_evaluation
from tests.app.conftest import chat_settings


async def test_the_job_answers_scores_and_writes_the_report(tmp_path: Path) -> None:
    settings = chat_settings(tmp_path / "data", model={"backend": "data-only"})
    stages: list[str] = []
    request = EvaluationRequest(answerers=("composed",), limit=4, retrieval=False,
                                out=tmp_path / "report")  # fmt: skip
    paths = await run_evaluation(settings, request, stage=stages.append)

    assert stages == ["preparing", "answering", "report"]
    results = json.loads(paths["json"].read_text(encoding="utf-8"))
    right = results["answerers"]["composed"]["metrics"]["right"]
    assert right["n"] == 4 and right["count"] == 4
    assert paths["markdown"].parent == tmp_path / "report"
    assert "evaluation/questions/sample.json" in paths["markdown"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "request_",
    [EvaluationRequest(questions="secret"), EvaluationRequest(part="train"),
     EvaluationRequest(answerers=("oracle",), retrieval=False)],
)  # fmt: skip
async def test_a_request_nobody_can_run_says_what_is_accepted(
    tmp_path: Path, request_: EvaluationRequest
) -> None:
    settings = chat_settings(tmp_path / "data", model={"backend": "data-only"})
    with pytest.raises(InputError):
        await run_evaluation(settings, request_)
