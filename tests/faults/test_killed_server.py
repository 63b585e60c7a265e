"""The API process killed (SIGKILL) while it streams an answer, then `supersmart serve`
started again on the same data: healthy, the conversation keeps the question and no half
answer passed off as whole, a follow-up is answered, and the SQLite file is sound."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from chat.settle import INTERRUPTED
from tests.processes import free_port, server_process

SUPERSMART = str(Path(sys.executable).with_name("supersmart"))
ROOT = Path(__file__).resolve().parents[2]
QUESTION = "¿Dónde está más barato el aceite de oliva virgen extra?"


def _ask_and_kill(url: str, server_pid: int, body: dict[str, str]) -> str:
    """Stream an answer; kill the server once its first sentence is in. What was shown."""
    with httpx.stream("POST", f"{url}/chat/stream", json=body, timeout=30) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        for line in lines:
            if line == "event: delta":
                shown: str = json.loads(next(lines).removeprefix("data: "))["text"]
                os.kill(server_pid, signal.SIGKILL)
                return shown
    raise AssertionError("the stream ended without any text")


def _check_integrity(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_server_killed_mid_answer_restarts_consistent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    env = {
        **os.environ,
        "SUPERSMART_DATA_DIR": str(data),
        "SUPERSMART_RETRIEVAL__EMBEDDER": "hash",
        "SUPERSMART_MODEL__BACKEND": "data-only",  # the restarted `supersmart serve`
        "SUPERSMART_MODEL__MAX_TOKENS": "1000",
        "SUPERSMART_PIPELINE__SCHEDULE_IN_API": "false",
        "SUPERSMART_API__PORT": str(port),
    }
    demo = subprocess.run(
        [SUPERSMART, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0, demo.stderr
    body = {"message": QUESTION, "conversation_id": "killed"}

    slow = [sys.executable, "-m", "tests.faults.slow_server", str(port)]
    killed = tmp_path / "killed.log"
    with server_process(slow, env, port, killed, ROOT, signal.SIGKILL) as (url, server):
        shown = _ask_and_kill(url, server.pid, body)
        assert server.wait(timeout=30) == -signal.SIGKILL
    assert shown.startswith("El más barato es")
    _check_integrity(data / "supersmart.db")

    serve = [SUPERSMART, "serve"]
    with server_process(serve, env, port, tmp_path / "serve.log", ROOT, signal.SIGKILL) as (url, _):
        health = httpx.get(f"{url}/health", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        turns = httpx.get(f"{url}/conversations/killed", timeout=10).json()["messages"]
        assert turns[0] == {**turns[0], "role": "user", "content": QUESTION}
        # the answer being written died with the process: none at all, or one marked as cut
        assert len(turns) == 1 or turns[1]["content"].endswith(INTERRUPTED), turns

        follow_up = httpx.post(f"{url}/chat", json={**body, "message": "¿y en Dia?"}, timeout=30)
        assert follow_up.status_code == 200, follow_up.text
        # about the question the killed server never answered: olive oil, at Dia
        cited = [(p["chain"], p["name"]) for p in follow_up.json()["products"]]
        assert cited and all(
            chain == "dia" and "aceite de oliva virgen extra" in name.lower()
            for chain, name in cited
        ), cited
        after = httpx.get(f"{url}/conversations/killed", timeout=10).json()["messages"]
        assert [t["role"] for t in after[-2:]] == ["user", "assistant"]
        assert after[-2]["content"] == "¿y en Dia?" and after[:-2] == turns
    _check_integrity(data / "supersmart.db")
