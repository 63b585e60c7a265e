"""Shared fixtures: the loopback-only network guard, the reference corpus, settings."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings

pytest_plugins = ["tests.skipguard"]  # in CI, a skipped test fails the run

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).with_name("fixtures")


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to servers they start on 127.0.0.1, and to nothing else."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(method: Any) -> Any:
        def connect(self: socket.socket, address: Any) -> Any:
            if not _is_loopback(address):
                raise RuntimeError(f"test tried to reach {address!r}: only loopback is allowed")
            return method(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("reference corpus not present (../shared/data)")
    return SHARED_DATA


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
def fixtures() -> Iterator[Path]:
    yield FIXTURES


@pytest.fixture(scope="session")
def packaged_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged GGUF and its dequantized checkpoint, made once for the session (slow)."""
    from finetune.base_model import ensure_checkpoint

    models = tmp_path_factory.mktemp("models")
    settings = Settings(data_dir=models, _env_file=None)
    ensure_checkpoint(settings)  # assembles the GGUF first
    return settings.model_path
