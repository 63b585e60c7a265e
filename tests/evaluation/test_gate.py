"""The adapter gate on the real development questions: the rule, on the real comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evaluation.gate import markdown, passes, tally


def _line(right: bool, verdict: str, wrong: bool = False) -> dict[str, Any]:
    return {"score": {"right": right, "wrong_claims": ["x"] if wrong else []}, "verdict": verdict}


def _t(right: int, wrong: int, own: int) -> dict[str, int]:
    return {"right": right, "wrong_claims": wrong, "own_words": own}


def test_tally_counts_right_wrong_claims_and_the_models_own_right_answers() -> None:
    lines = [
        _line(True, "verified"),
        _line(True, "repaired"),
        _line(True, "replaced"),  # right, but the data's words
        _line(True, "composed"),
        _line(False, "verified", wrong=True),  # the model's, wrong: not counted as its own right
    ]
    assert tally(lines) == {"questions": 5, "right": 4, "accuracy": 0.8, "wrong_claims": 1,
                            "own_words": 2}  # fmt: skip


@pytest.mark.parametrize(
    ("candidate", "baseline", "expected"),
    [
        (_t(250, 0, 100), _t(249, 0, 200), True),  # more right answers
        (_t(249, 0, 200), _t(249, 0, 100), True),  # as many right, more of them its own
        (_t(249, 0, 100), _t(249, 0, 100), True),  # a tie is at least as good
        (_t(249, 0, 99), _t(249, 0, 100), False),  # as many right, more thrown away
        (_t(248, 0, 240), _t(249, 0, 10), False),  # fewer right, whatever its words
        (_t(255, 1, 240), _t(249, 0, 10), False),  # a wrong claim more: never
    ],
)
def test_a_candidate_passes_only_when_it_is_at_least_as_good(
    candidate: dict[str, int], baseline: dict[str, int], expected: bool
) -> None:
    assert passes(candidate, baseline) is expected


def test_the_report_puts_both_side_by_side() -> None:
    verdict = {
        "questions": "real set, dev part (2 questions)",
        "candidate": tally([_line(True, "verified"), _line(True, "composed")]) | {"adapter": "a"},
        "baseline": tally([_line(True, "replaced"), _line(False, "verified")]) | {"adapter": None},
        "passes": True,
    }
    text = markdown(verdict, "Gate")
    assert "| right answers | 2/2 | 1/2 |" in text
    assert "| right, in the model's own words | 1 | 0 |" in text
    assert "| adapter | a | none |" in text and "Passes the gate: yes." in text


def test_cached_answers_follow_the_adapters_bytes_not_its_folder(tmp_path: Path) -> None:
    from evaluation.gate import cache_key

    old, new = tmp_path / "default" / "adapter.gguf", tmp_path / "v2" / "adapter.gguf"
    for path, body in ((old, b"old weights"), (new, b"new weights")):
        path.parent.mkdir()
        path.write_bytes(body)
    before = cache_key(old)
    old.write_bytes(new.read_bytes())  # a new version shipped into the same folder
    assert cache_key(old) != before and cache_key(old).startswith("default-")
    assert cache_key(None).startswith("no-adapter-")


def test_cached_answers_follow_the_code_that_answered(tmp_path: Path) -> None:
    """Found when the grounding check changed: the gate judged the new check on answers the
    old one had let through, because its cache knew only the adapter."""
    from evaluation.gate import cache_key, code_digest

    package = tmp_path / "chat"
    (package / "sub").mkdir(parents=True)
    (package / "grounding.py").write_text("RULE = 1\n")
    (package / "sub" / "x.py").write_text("")
    before = code_digest([package])
    assert code_digest([package]) == before  # stable between runs
    (package / "grounding.py").write_text("RULE = 2\n")
    after = code_digest([package])
    assert after != before
    adapter = tmp_path / "default" / "adapter.gguf"
    adapter.parent.mkdir()
    adapter.write_bytes(b"weights")
    assert cache_key(adapter, before) != cache_key(adapter, after)
    assert cache_key(adapter) == cache_key(adapter)  # the repository's own code: one key


def test_the_terminal_line_gives_both_sides() -> None:
    from evaluation.gate import summary

    verdict = {"questions": "real set, dev part (3 questions)",
               "candidate": _t(3, 0, 2), "baseline": _t(2, 1, 0)}  # fmt: skip
    assert summary(verdict) == ("right 3 vs 2, wrong claims 0 vs 1, model's own words 2 vs 0 "
                                "(real set, dev part (3 questions))")  # fmt: skip
