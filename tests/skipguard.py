"""A pytest plugin (loaded by tests/conftest.py): with SUPERSMART_TESTS_NO_SKIPS=1, which
`.ci/run` sets, a run that skipped any test fails. CI always has the extras, chromium and
../shared/data, so a skip there means a check that did not run while the run says "passed";
on a laptop without them, skips stay skips."""

from __future__ import annotations

import os

import pytest

NO_SKIPS = "SUPERSMART_TESTS_NO_SKIPS"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get(NO_SKIPS) != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if reporter is None or not skipped:
        return
    reporter.write_line(
        f"{len(skipped)} skipped while {NO_SKIPS}=1 (CI): a check that did not run fails the run",
        red=True,
    )
    for report in skipped:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        reporter.write_line(f"  {report.nodeid}: {reason}", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
