"""`supersmart import` meeting a full disk mid-import, and a store folder that is read-only:
a message that says what to do (no traceback), a non-zero exit, every product stored before
the fault still there and whole, and the same import completing once the fault is cleared."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.namespace import MountNamespace

SUPERSMART = str(Path(sys.executable).with_name("supersmart"))
KEPT, NEW, BATCH = 100, 4000, 100  # the tmpfs below holds ~1,000 products
INGREDIENTS = "Harina de trigo, azúcar, aceite de girasol, sal. " * 8


def _catalogue(path: Path, prefix: str, count: int) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            row = {
                "chain": "dia",
                "chain_product_id": f"{prefix}-{n}",
                "name": f"Galletas {prefix} {n}",
                "price": f"{1 + n % 500 / 100:.2f}",
                "observed_at": "2026-11-20",
                "ingredients": INGREDIENTS,
            }
            handle.write(json.dumps(row) + "\n")
    return path


def _env(data: Path, datalake: bool = True) -> dict[str, str]:
    return {
        **os.environ,
        "SUPERSMART_DATA_DIR": str(data),
        "SUPERSMART_IMPORTS__BATCH_SIZE": str(BATCH),
        "SUPERSMART_DATALAKE__ENABLED": str(datalake).lower(),
        "COLUMNS": "200",  # the message on one line, as read below
    }


def _import(catalogue: Path) -> list[str]:
    return [SUPERSMART, "import", str(catalogue), "--format", "jsonl"]


def _said(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join((done.stdout + done.stderr).split())


class Store:
    """Reads the store file; one on a mount of the namespace is read from inside it (SQLite
    resolves `/proc/<pid>/root` to this process's own root)."""

    def __init__(self, db: Path, space: MountNamespace | None = None) -> None:
        self.db, self.space = db, space

    def query(self, sql: str) -> list[list[object]]:
        if self.space is None:
            with sqlite3.connect(self.db, timeout=5) as conn:
                return [list(row) for row in conn.execute(sql)]
        done = self.space.run(sys.executable, "-c", READ, str(self.db), sql, check=True)
        rows: list[list[object]] = json.loads(done.stdout)
        return rows


READ = """
import json, sqlite3, sys
with sqlite3.connect(sys.argv[1], timeout=5) as conn:
    print(json.dumps([list(row) for row in conn.execute(sys.argv[2])]))
"""


def _check_store(store: Store, kept: Path) -> int:
    """The store is sound, the products imported before the fault are there as imported;
    returns how many products the faulty import stored."""
    assert store.query("PRAGMA integrity_check") == [["ok"]]
    prices = {str(i): p for i, p in store.query("SELECT chain_product_id, price FROM products")}
    for line in kept.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert prices.get(row["chain_product_id"]) == float(row["price"]), row
    assert store.query("SELECT COUNT(*) FROM product_versions") == [[len(prices)]]
    return len(prices) - KEPT


def _rerun_completes(run: subprocess.CompletedProcess[str], store: Store) -> None:
    assert run.returncode == 0, _said(run)
    assert store.query("SELECT COUNT(*) FROM products") == [[KEPT + NEW]]
    duplicates = store.query(
        "SELECT product_id FROM product_versions GROUP BY product_id, content_hash "
        "HAVING COUNT(*) > 1"
    )
    assert duplicates == []
    statuses = [s for (s,) in store.query("SELECT status FROM executions ORDER BY started_at")]
    assert statuses[0] == statuses[-1] == "completed" and "running" not in statuses, statuses


@pytest.mark.parametrize("datalake", [True, False], ids=["lake-fills-first", "store-only"])
def test_disk_full_mid_import(tmp_path: Path, datalake: bool) -> None:
    data = tmp_path / "data"
    data.mkdir()
    kept = _catalogue(tmp_path / "kept.jsonl", "kept", KEPT)
    new = _catalogue(tmp_path / "new.jsonl", "new", NEW)
    env = _env(data, datalake)
    with MountNamespace() as space:
        space.mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(data))
        first = space.run(*_import(kept), env=env)
        assert first.returncode == 0, _said(first)

        full = space.run(*_import(new), env=env)

        said = _said(full)
        assert full.returncode == 1, said
        assert "Traceback" not in said and "Error:" in said
        assert "disk is full" in said and "run the same command again" in said, said
        space.mount("-o", "remount,size=64m", str(data))  # space freed
        store = Store(data / "supersmart.db", space)
        stored = _check_store(store, kept)
        assert 0 < stored < NEW and stored % BATCH == 0  # whole batches, nothing half-written

        _rerun_completes(space.run(*_import(new), env=env), store)


def test_read_only_store_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    kept = _catalogue(tmp_path / "kept.jsonl", "kept", KEPT)
    new = _catalogue(tmp_path / "new.jsonl", "new", NEW)
    env = _env(data)
    first = subprocess.run(_import(kept), env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, _said(first)
    store = Store(data / "supersmart.db")  # read here, where the folder stays writable
    with MountNamespace() as space:
        # the volume is read-only (root included): chmod would not stop root
        space.mount("--bind", str(data), str(data))
        space.mount("-o", "remount,bind,ro", str(data))

        refused = space.run(*_import(new), env=env)

        said = _said(refused)
        assert refused.returncode == 1, said
        assert "Traceback" not in said and "Error:" in said
        assert "read-only" in said and "writable" in said, said
        assert "not a SuperSmart store" not in said  # it is one: the folder is the problem
        assert _check_store(store, kept) == 0

        space.run("umount", str(data), check=True)  # writable again
        _rerun_completes(space.run(*_import(new), env=env), store)
