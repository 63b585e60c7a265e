"""`supersmart pipeline run|list` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.app.conftest import data_dir, sample_data_dir  # noqa: F401


def test_pipeline_run_records_steps_and_says_what_went_wrong(
    data_dir: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SUPERSMART_RETRIEVAL__EMBEDDER", "hash")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["--data-dir", str(data_dir), "pipeline", *args])
        return result.exit_code, " ".join(result.output.split())

    code, out = run("run", "--steps", "index")
    assert code == 0, out
    assert "│ index │ skipped │" in out and "the store did not change" in out
    assert "Pipeline completed" in out

    code, out = run("run", "--steps", "index", "--force")
    assert code == 0 and "│ index │ completed │" in out and "429 products" in out

    code, out = run("run", "--steps", "index,bake")
    assert code == 1 and "Unknown pipeline step(s) bake" in out

    code, out = run("list")
    assert code == 0 and out.count("index:") == 2 and "index:skipped" in out
