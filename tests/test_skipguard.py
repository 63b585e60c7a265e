"""The CI skip guard, run on a throwaway test file in a child pytest."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytest_plugins = ["pytester"]

SKIPPING = """
import pytest

def test_runs():
    assert True

def test_needs_something_missing():
    pytest.skip("the data is not here")
"""


@pytest.mark.parametrize(("guard", "status"), [("1", 1), ("", 0)])
def test_a_skip_fails_the_run_only_when_the_guard_is_on(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, guard: str, status: int
) -> None:
    monkeypatch.setenv("SUPERSMART_TESTS_NO_SKIPS", guard)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the child imports the plugin from here
    pytester.makepyfile(test_child=SKIPPING)

    result = pytester.runpytest_subprocess("-p", "tests.skipguard", "-p", "no:cacheprovider")

    assert result.ret == status
    result.assert_outcomes(passed=1, skipped=1)
    if status:
        result.stdout.fnmatch_lines(["*test_needs_something_missing*the data is not here*"])
