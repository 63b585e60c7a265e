"""Adapter versions: promote, roll back, switch off, and what the service loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConflictError, NotFoundError
from finetune.registry import AdapterRegistry, ship, shipped_adapter


def _version(root: Path, name: str) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "adapter.gguf").write_bytes(b"GGUF")
    (root / name / "metrics.json").write_text('{"steps": 3}')


def test_promote_and_rollback_walk_back_through_what_was_in_service(tmp_path: Path) -> None:
    registry = AdapterRegistry(tmp_path)
    assert registry.current() == shipped_adapter()  # nothing promoted: the shipped default
    for name in ("a", "b", "c"):
        _version(tmp_path, name)
    assert [v.name for v in registry.versions()] == ["a", "b", "c"]
    assert registry.get("b").metrics == {"steps": 3}

    registry.promote("a")
    registry.promote("b")
    registry.promote("c")
    assert registry.current() == tmp_path / "c" / "adapter.gguf"
    assert registry.rollback() == "b"
    assert registry.rollback() == "a"
    assert registry.current_name() == "a"
    registry.disable("adapters off")
    assert registry.current() is None
    assert registry.rollback() == "a"
    assert registry.rollback() == "shipped default"
    assert registry.current() == shipped_adapter()
    with pytest.raises(ConflictError, match="Nothing to roll back"):
        registry.rollback()


def test_unknown_versions_are_named_in_the_error(tmp_path: Path) -> None:
    _version(tmp_path, "a")
    with pytest.raises(NotFoundError, match="'zzz' \\(a\\)"):
        AdapterRegistry(tmp_path).promote("zzz")
    assert AdapterRegistry(tmp_path).current_name() is None


def test_shipping_a_version_copies_what_the_package_needs(tmp_path: Path) -> None:
    root = tmp_path / "adapters"
    _version(root, "v1")
    for name, text in (("NOTICE", "Gemma"), ("config.yaml", "rank: 8\n")):
        (root / "v1" / name).write_text(text)
    (root / "v1" / "dataset").mkdir()
    (root / "v1" / "dataset" / "report.json").write_text('{"examples": {"train": 5}}')
    (root / "v1" / "peft").mkdir()
    target = tmp_path / "default"
    ship(AdapterRegistry(root).get("v1"), target)
    assert sorted(p.name for p in target.iterdir()) == [
        "NOTICE", "adapter.gguf", "config.yaml", "dataset.json", "metrics.json"
    ]  # fmt: skip
    assert (target / "adapter.gguf").read_bytes() == b"GGUF"
    assert '"steps": 3' in (target / "metrics.json").read_text()
