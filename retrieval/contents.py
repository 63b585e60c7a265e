"""What a new index version holds, line by line, and how much of it the version in service
can give: a refresh reuses, for every product whose content hash is unchanged, its snapshot
line, its passage lines and their vectors as they are, so only what changed is read from the
store, cut into passages and embedded."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.domain import Product
from retrieval.embedder import Vectors
from retrieval.passages import Passage

HASHES = "hashes.json"  # [[product id, content hash], ...] in products.jsonl's order
# kept out of the snapshot: long texts the filters never read (passages carry them)
SNAPSHOT_EXCLUDES = {"ingredients", "usage_instructions", "storage_instructions", "nutrition"}


def passage_line(passage: Passage) -> str:
    return json.dumps(
        [passage.product_id, passage.kind, passage.number, passage.text], ensure_ascii=False
    )


def product_line(product: Product) -> str:
    return product.model_dump_json(exclude=SNAPSHOT_EXCLUDES)


@dataclass
class Piece:
    """One product's share of a version: its snapshot line, passage lines and their vectors."""

    product: str
    passages: list[str]
    vectors: Vectors


@dataclass
class Contents:
    """A whole version's contents, in product id order (the same store gives the same files
    whether it was built in full or refreshed)."""

    product_lines: list[str]
    passage_lines: list[str]
    vectors: Vectors
    hashes: list[tuple[str, str]]

    @classmethod
    def assemble(
        cls, pieces: Mapping[str, Piece], hashes: Mapping[str, str], dimension: int
    ) -> Contents:
        ids = sorted(pieces)
        passage_lines = [line for pid in ids for line in pieces[pid].passages]
        blocks = [pieces[pid].vectors for pid in ids if len(pieces[pid].vectors)]
        vectors = (
            np.concatenate(blocks).astype(np.float32, copy=False)
            if blocks
            else np.zeros((0, dimension), dtype=np.float32)
        )
        return cls(
            product_lines=[pieces[pid].product for pid in ids],
            passage_lines=passage_lines,
            vectors=vectors,
            hashes=[(pid, hashes.get(pid, "")) for pid in ids],
        )


def new_pieces(
    products: Iterable[Product], passages: list[Passage], vectors: Vectors
) -> dict[str, Piece]:
    """Pieces of freshly read products; `vectors` row i embeds `passages[i]`."""
    pieces = {p.id: Piece(product_line(p), [], vectors[:0]) for p in products}
    rows: dict[str, list[int]] = {}
    for row, passage in enumerate(passages):
        pieces[passage.product_id].passages.append(passage_line(passage))
        rows.setdefault(passage.product_id, []).append(row)
    for pid, taken in rows.items():
        pieces[pid].vectors = vectors[taken]
    return pieces


def reusable(folder: Path, fields: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    """The (product id, content hash) pairs of the version in `folder`, in its snapshot's
    order, when its passages and vectors are what a build with `fields` would make (same
    embedder, metric and settings); None when it cannot be reused (another model or settings,
    or written before hashes were kept)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        pairs = json.loads((folder / HASHES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = all(manifest.get(key) == fields[key] for key in ("embedder", "metric", "settings"))
    return [(pid, digest) for pid, digest in pairs] if same else None


def old_pieces(
    folder: Path, pairs: list[tuple[str, str]], wanted: set[str], stored: Vectors
) -> dict[str, Piece]:
    """The pieces of the products in `wanted` as the version in `folder` holds them (`pairs`:
    its `reusable` hashes, `stored`: its vectors)."""
    rows: dict[str, list[int]] = {}
    lines: dict[str, list[str]] = {}
    with open(folder / "passages.jsonl", encoding="utf-8") as handle:
        for row, line in enumerate(handle):
            pid = json.loads(line)[0]
            if pid in wanted:
                rows.setdefault(pid, []).append(row)
                lines.setdefault(pid, []).append(line.rstrip("\n"))
    pieces: dict[str, Piece] = {}
    with open(folder / "products.jsonl", encoding="utf-8") as handle:
        for (pid, _), line in zip(pairs, handle, strict=True):
            if pid in rows:
                pieces[pid] = Piece(line.rstrip("\n"), lines[pid], stored[rows[pid]])
    return pieces
