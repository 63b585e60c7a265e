"""Adapter versions on disk, the one in service, and the history of promotions.

    <data_dir>/adapters/<version>/adapter.gguf   (+ metrics.json, config.yaml, eval.json)
    <data_dir>/adapters/CURRENT                  the promoted version ("none": no adapter)
    <data_dir>/adapters/promotions.jsonl         every promotion and rollback, in order

With nothing promoted the service uses the adapter shipped in the package (trained by this
pipeline on the sample catalogue), if any. The chat model re-reads CURRENT before each answer,
so a promotion or rollback takes effect without a restart.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from core.domain import utcnow
from core.errors import ConflictError, NotFoundError
from core.settings import Settings

SHIPPED = files("finetune") / "adapters" / "default"
NONE = "none"


@dataclass(frozen=True)
class AdapterVersion:
    name: str
    folder: Path
    metrics: dict[str, Any]
    evaluation: dict[str, Any] | None

    @property
    def gguf(self) -> Path:
        return self.folder / "adapter.gguf"


def shipped_adapter() -> Path | None:
    path = Path(str(SHIPPED)) / "adapter.gguf"
    return path if path.exists() else None


def ship(version: AdapterVersion, target: Path) -> list[Path]:
    """Copy a trained version into the package as the shipped default (maintainers, after
    training on the sample catalogue): the GGUF, its NOTICE, config, metrics and dataset
    summary. The peft folder stays behind: adapter.gguf is the same adapter."""
    import json
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in ("adapter.gguf", "NOTICE", "config.yaml"):
        copied.append(Path(shutil.copy2(version.folder / name, target / name)))
    report = version.folder / "dataset" / "report.json"
    if report.exists():
        copied.append(Path(shutil.copy2(report, target / "dataset.json")))
    metrics = dict(version.metrics)
    metrics["adapter_dir"] = "peft (not shipped: adapter.gguf is the same adapter)"
    (target / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    copied.append(target / "metrics.json")
    return copied


class AdapterRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def of(cls, settings: Settings) -> AdapterRegistry:
        """The registry of the user's data directory (`<data_dir>/adapters`)."""
        return cls(settings.data_dir / "adapters")

    def versions(self) -> list[AdapterVersion]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and (folder / "adapter.gguf").exists():
                found.append(
                    AdapterVersion(
                        folder.name,
                        folder,
                        _read_json(folder / "metrics.json") or {},
                        _read_json(folder / "eval.json"),
                    )
                )
        return found

    def get(self, name: str) -> AdapterVersion:
        for version in self.versions():
            if version.name == name:
                return version
        known = ", ".join(v.name for v in self.versions()) or "none trained yet"
        raise NotFoundError(
            f"No adapter version {name!r} ({known}): see `supersmart adapters list`."
        )

    def current_name(self) -> str | None:
        """The promoted version, NONE when adapters were switched off, None if never promoted."""
        pointer = self.root / "CURRENT"
        return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None

    def current(self) -> Path | None:
        """The adapter file in service: promoted, else shipped, else none."""
        name = self.current_name()
        if name == NONE:
            return None
        if name is not None:
            path = self.root / name / "adapter.gguf"
            return path if path.exists() else self.get(name).gguf  # get() names what exists
        return shipped_adapter()

    def promote(self, name: str, reason: str = "") -> AdapterVersion:
        version = self.get(name)
        self._point(name, "promote", reason)
        return version

    def disable(self, reason: str = "") -> None:
        self._point(NONE, "disable", reason)

    def rollback(self) -> str:
        """Back to the version in service before the last promotion (or the shipped default)."""
        stack = self._stack()
        if not stack:
            raise ConflictError(
                "Nothing to roll back: no adapter was promoted since the last reset."
            )
        stack.pop()
        if not stack:
            (self.root / "CURRENT").unlink(missing_ok=True)
            self._log("rollback", "", "")
            return "shipped default"
        self._point(stack[-1], "rollback", "")
        return stack[-1]

    def _stack(self) -> list[str]:
        """Versions put in service, undone by rollbacks: the top is the one in service."""
        stack: list[str] = []
        for entry in self._history():
            if entry["action"] in ("promote", "disable"):
                stack.append(entry["version"])
            elif entry["action"] == "rollback" and stack:
                stack.pop()
        return stack

    # files -----------------------------------------------------------------------------------
    def _point(self, name: str, action: str, reason: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(tmp, self.root / "CURRENT")  # readers never see a half-written pointer
        self._log(action, name, reason)

    def _log(self, action: str, name: str, reason: str) -> None:
        entry = {"at": utcnow().isoformat(), "action": action, "version": name, "reason": reason}
        with (self.root / "promotions.jsonl").open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def history(self) -> list[dict[str, Any]]:
        """Every promotion, rollback and switch-off, oldest first."""
        return self._history()

    def _history(self) -> list[dict[str, Any]]:
        path = self.root / "promotions.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value
