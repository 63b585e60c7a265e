"""The README documents every setting and the commands CI runs."""

from __future__ import annotations

import re

from pydantic import BaseModel

from core.settings import Settings
from tests.conftest import ROOT


def _env_names(model: type[BaseModel], prefix: str) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_in_the_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [n for n in _env_names(Settings, "SUPERSMART_") if f"`{n}`" not in readme]
    assert not missing


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "`make test`" in readme
    assert re.search(r"(?m)^(?:step \"[^\"]+\" )?make test$", ci)  # run as it is, timed
    assert "`make demo`" in readme
