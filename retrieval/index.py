"""The search index on disk: versions that are built beside the one in service and swapped in
atomically, so readers never see a half-written index.

    <index>/CURRENT                 name of the version in service (replaced with os.replace)
    <index>/v-<time>-<rand>/        one version:
        manifest.json               embedder, metric, dimension, store state, counts, settings
        vectors.faiss               FAISS IndexIDMap (flat: exact) over passage vectors
        passages.jsonl              passage key, product id, kind, text (FAISS id = line number)
        products.jsonl              product snapshot used by the hard filters
        hashes.json                 each snapshot product's content hash (what a refresh reuses)
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.domain import Product
from core.errors import ConfigurationError, NotFoundError
from core.text import search_terms
from retrieval.contents import HASHES, Contents
from retrieval.filters import FilterColumns
from retrieval.lexical import LexicalIndex
from retrieval.passages import Passage

CURRENT = "CURRENT"


@dataclass(frozen=True)
class Manifest:
    version: str
    embedder: str
    dimension: int
    metric: str
    built_at: str
    store_state: str
    products: int
    passages: int
    settings: dict[str, Any]


def _faiss() -> Any:
    import faiss

    return faiss


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_version(
    root: Path, manifest_fields: dict[str, Any], contents: Contents, keep: int = 3
) -> Manifest:
    """Write a complete new version, then point CURRENT at it (atomic on POSIX)."""
    faiss = _faiss()
    root.mkdir(parents=True, exist_ok=True)
    version = f"v-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    folder = root / f".{version}.tmp"
    folder.mkdir()
    metric = manifest_fields["metric"]
    dimension = int(manifest_fields["dimension"])
    flat = faiss.IndexFlatL2(dimension) if metric == "l2" else faiss.IndexFlatIP(dimension)
    index = faiss.IndexIDMap(flat)
    vectors = contents.vectors
    if len(vectors):
        index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.arange(len(vectors), dtype=np.int64)
        )
    faiss.write_index(index, str(folder / "vectors.faiss"))
    for name, lines in (
        ("passages.jsonl", contents.passage_lines),
        ("products.jsonl", contents.product_lines),
    ):
        with open(folder / name, "w", encoding="utf-8") as handle:
            handle.writelines(f"{line}\n" for line in lines)
    (folder / HASHES).write_text(json.dumps(contents.hashes), encoding="utf-8")
    products, passages = contents.product_lines, contents.passage_lines
    manifest = Manifest(
        version=version,
        built_at=datetime.now(UTC).isoformat(),
        products=len(products),
        passages=len(passages),
        **manifest_fields,
    )
    (folder / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2), encoding="utf-8")
    for name in ("vectors.faiss", "passages.jsonl", "products.jsonl", HASHES, "manifest.json"):
        _fsync_file(folder / name)
    os.replace(folder, root / version)
    pointer = root / f".{CURRENT}.{secrets.token_hex(3)}.tmp"
    pointer.write_text(version, encoding="utf-8")
    _fsync_file(pointer)
    os.replace(pointer, root / CURRENT)
    _prune(root, keep)
    return manifest


def read_vectors(root: Path, version: str) -> NDArray[np.float32]:
    """Every vector of a version's index, row i = passage i."""
    faiss = _faiss()
    index = faiss.read_index(str(root / version / "vectors.faiss"))  # owns the flat index below
    flat = faiss.downcast_index(index.index)
    return np.asarray(flat.reconstruct_n(0, flat.ntotal), dtype=np.float32)


def _prune(root: Path, keep: int) -> None:
    """Drop the oldest versions; the one in service and the `keep - 1` before it stay."""
    versions = sorted(p for p in root.glob("v-*") if p.is_dir())
    for old in versions[: max(0, len(versions) - max(keep, 2))]:
        shutil.rmtree(old, ignore_errors=True)


def current_version(root: Path) -> str | None:
    try:
        return (root / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_manifest(root: Path, version: str | None = None) -> Manifest | None:
    """The manifest of `version` (default: the one in service), None if there is none."""
    version = version or current_version(root)
    path = root / version / "manifest.json" if version else None
    if path is None or not path.exists():
        return None
    return Manifest(**json.loads(path.read_text(encoding="utf-8")))


def list_versions(root: Path) -> list[Manifest]:
    """Versions kept on disk, newest first."""
    found = (read_manifest(root, p.name) for p in sorted(root.glob("v-*"), reverse=True))
    return [m for m in found if m is not None]


@dataclass
class LoadedIndex:
    """One version in memory: FAISS vectors, passages, lexical index, product snapshot."""

    manifest: Manifest
    faiss_index: Any
    passages: list[Passage]
    products: dict[str, Product]
    lexical: LexicalIndex
    passages_of: dict[str, list[int]]
    columns: FilterColumns

    @functools.cached_property
    def passage_rows(self) -> NDArray[np.int64]:
        """Each passage's product as its row in `columns`: a filter's mask over products
        becomes the passages it allows in one array operation."""
        row = {pid: i for i, pid in enumerate(self.columns.ids)}
        return np.fromiter((row[p.product_id] for p in self.passages), np.int64, len(self.passages))

    @functools.cached_property
    def vectors(self) -> NDArray[np.float32]:
        """Every passage's vector, row i = passage i: a view of FAISS's own storage, not a
        copy (300 MB at 100k products), valid while `faiss_index` is."""
        faiss = _faiss()
        flat = faiss.downcast_index(self.faiss_index.index)
        if not flat.ntotal:
            return np.zeros((0, flat.d), dtype=np.float32)
        view = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d)
        return np.asarray(view, dtype=np.float32).reshape(flat.ntotal, flat.d)

    @functools.cached_property
    def name_words(self) -> frozenset[str]:
        """Every search term of the catalogue's product names and brands: a word the answer
        says of a product that is another product's word ("Tiras" for "Tortillas wraps")."""
        return frozenset(
            term
            for p in self.products.values()
            for term in search_terms(f"{p.name} {p.brand or ''}")
        )

    @classmethod
    def load(cls, root: Path, embedder_name: str, metric: str) -> LoadedIndex:
        version = current_version(root)
        if version is None:
            raise NotFoundError(f"No search index in {root}: run `supersmart index` first.")
        folder = root / version
        manifest = read_manifest(root, version)
        if manifest is None:
            raise NotFoundError(f"Index version {version} has no manifest: run `supersmart index`.")
        if manifest.embedder != embedder_name or manifest.metric != metric:
            raise ConfigurationError(
                f"The index in service was built with embedder {manifest.embedder!r} and metric "
                f"{manifest.metric!r}, but the settings ask for {embedder_name!r} / {metric!r}. "
                "Run `supersmart index` to rebuild it with the current settings, or change the "
                "settings back."
            )
        passages = []
        passages_of: dict[str, list[int]] = {}
        with open(folder / "passages.jsonl", encoding="utf-8") as handle:
            for position, line in enumerate(handle):
                product_id, kind, number, text = json.loads(line)
                passages.append(Passage(product_id, kind, number, text))
                passages_of.setdefault(product_id, []).append(position)
        with open(folder / "products.jsonl", encoding="utf-8") as handle:
            products = {p.id: p for p in (Product.model_validate_json(line) for line in handle)}
        return cls(
            manifest=manifest,
            faiss_index=_faiss().read_index(str(folder / "vectors.faiss")),
            passages=passages,
            products=products,
            lexical=LexicalIndex([p.text for p in passages]),
            passages_of=passages_of,
            columns=FilterColumns(list(products.values())),
        )
