"""A child `supersmart` (the pipeline's training and evaluation) works on exactly its parent's
settings, passed as one file readable by this user only, and gone once the child is done."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import SETTINGS_FILE, Settings
from pipeline.training import child_settings

CHILD = (
    "from core.settings import load_settings; s = load_settings(); "
    "print(s.data_dir, s.api.api_keys[0].get_secret_value(), s.model.max_tokens)"
)


def test_a_child_reads_its_parents_settings_from_one_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "d", api={"api_keys": ["s3cret-0123456789"]},
                        model={"max_tokens": 77})  # fmt: skip
    monkeypatch.setenv("SUPERSMART_MODEL__MAX_TOKENS", "5")  # the parent's own: not passed
    with child_settings(settings) as env:
        path = Path(env[SETTINGS_FILE])
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert not any(k.startswith("SUPERSMART_") and k != SETTINGS_FILE for k in env)
        assert json.loads(path.read_text())["api"]["api_keys"] == ["s3cret-0123456789"]
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                              text=True, timeout=60, cwd=Path(__file__).parents[2])  # fmt: skip
    assert done.stdout.split() == [str(tmp_path / "d"), "s3cret-0123456789", "77"], done.stderr
    assert not path.exists()
