"""The retriever: a Spanish question in, ranked products out, with scores, the passage that
matched and why each hard filter held. Never returns a product that breaks an explicit
constraint: filters run before ranking on the index snapshot, and again on the store's current
data for what is returned."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.domain import Product
from core.settings import RetrievalSettings
from core.text import search_terms
from retrieval import names
from retrieval.embedder import Embedder
from retrieval.filters import Verdict, check
from retrieval.index import LoadedIndex, current_version
from retrieval.lexical import top
from retrieval.query import Intent, Query, understand
from storage.base import CatalogueReader


@dataclass(frozen=True)
class Hit:
    product: Product
    score: float
    passage: str
    verdict: Verdict
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Retrieval:
    query: Query
    hits: list[Hit] = field(default_factory=list)
    excluded: int = 0  # products ruled out by the hard filters
    index_version: str = ""


class Retriever:
    def __init__(
        self,
        root: Path,
        embedder: Embedder,
        settings: RetrievalSettings,
        store: CatalogueReader | None = None,
    ) -> None:
        self._root = root
        self._embedder = embedder
        self._settings = settings
        self._store = store
        self._loaded: LoadedIndex | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    def index(self) -> LoadedIndex:
        """The version in service; a newer one (after a rebuild) is picked up on the next call."""
        version = current_version(self._root)
        with self._lock:
            if self._loaded is None or (version and self._loaded.manifest.version != version):
                self._loaded = LoadedIndex.load(
                    self._root, self._embedder.name, self._settings.metric
                )
            return self._loaded

    def warm(self) -> None:
        """Run the embedder once (loads its model), so the first question is not slower."""
        self._embedder.embed(["leche"])

    async def search(self, question: str, limit: int = 5, mode: str | None = None) -> Retrieval:
        """Rank in a worker thread (embedding and scoring are CPU work that would otherwise stall
        every other request on the event loop), then re-check on the store."""
        result, hits, query = await asyncio.to_thread(self._rank, question, limit, mode)
        result.hits = await self._verify(hits, query)
        return result

    def _rank(
        self, question: str, limit: int, mode: str | None
    ) -> tuple[Retrieval, list[Hit], Query]:
        index = self.index()
        query = names.correct(understand(question), index.lexical)
        if query.alternatives:  # "¿qué sale más barato, A o B?": the best match of each
            alternatives = tuple(names.correct(a, index.lexical) for a in query.alternatives)
            query = replace(query, alternatives=alternatives)
            result = Retrieval(query, index_version=index.manifest.version)
            hits: list[Hit] = []
            for alternative in alternatives:
                _, found = self._ranked(index, alternative, 1, mode)
                hits += [h for h in found if h.product.id not in {x.product.id for x in hits}]
            return result, hits, query
        result, hits = self._ranked(index, query, limit, mode)
        return result, hits, query

    def _ranked(
        self, index: LoadedIndex, query: Query, limit: int, mode: str | None
    ) -> tuple[Retrieval, list[Hit]]:
        # Hard filters as arrays: per-product Python work here cost most of a query's time
        # at 100k products (a set of every id, every passage position sorted), even unfiltered.
        mask = index.columns.allowed(query) if query.constrained else None
        count = len(index.products) if mask is None else int(mask.sum())
        result = Retrieval(
            query, excluded=len(index.products) - count, index_version=index.manifest.version
        )
        if not count:
            return result, []
        kind = self._kind(index, query, mask, limit)
        if kind:  # "the cheapest X": every X of the catalogue, not the best-matching few
            hits = [Hit(p, 0.0, index.passages[index.passages_of[p.id][0]].text,
                        check(p, query)) for p in kind]  # fmt: skip
            return result, hits
        everything = count == len(index.products)
        allowed = None if mask is None or everything else mask[index.passage_rows]  # by passage
        mode = mode or self._settings.mode
        dense: list[tuple[str, int]] = []
        lexical = self._lexical(index, query, allowed) if mode != "dense" else []
        if mode == "hybrid" and lexical:
            # Words matched: the dense ranking only reorders those products, so only their
            # passages are compared with the question (no search of the whole index).
            dense = self._dense_among(index, query, lexical)
        elif mode != "lexical":
            dense, similar = self._dense(index, query, allowed)
            if mode == "hybrid":  # no word matched (synonyms, typos): clearly similar only
                dense = [d for d in dense if d[0] in similar]
        ranked = self._fuse(index, dense, lexical)
        ordered = self._order(index, query, ranked, limit)
        hits = [
            Hit(
                index.products[pid],
                score,
                index.passages[best].text,
                check(index.products[pid], query),
                _rank_of(pid, dense),
                _rank_of(pid, lexical),
            )
            for pid, score, best in ordered
        ]
        return result, hits

    def _kind(
        self, index: LoadedIndex, query: Query, mask: NDArray[np.bool_] | None, limit: int
    ) -> list[Product]:
        """For "the cheapest" and "where is it cheaper": every allowed product of the kind
        asked (`names.of_kind`), cheapest per kg / l / unit first. Empty when the question
        names no kind the catalogue has (then the products found by search are compared)."""
        if not query.intents & {Intent.CHEAPEST, Intent.COMPARE}:
            return []
        terms = search_terms(query.text)
        if not terms:
            return []
        rows = index.passage_rows[index.lexical.containing(terms)]
        if mask is not None:
            rows = rows[mask[rows]]
        ids = {index.columns.ids[int(row)] for row in rows}
        kind = [index.products[pid] for pid in sorted(ids)
                if names.of_kind(index.products[pid], terms)]  # fmt: skip
        across = len(query.chains) != 1
        return names.cheapest_first(kind, query.unit, across)[:limit]

    # rankings ------------------------------------------------------------------------------
    def _dense(
        self, index: LoadedIndex, query: Query, allowed: NDArray[np.bool_] | None
    ) -> tuple[list[tuple[str, int]], set[str]]:
        """Products by their best passage, and those clearly similar to the question."""
        import faiss

        vector = self._embedder.embed([query.text or query.original])
        k = min(self._settings.candidates * 3, index.manifest.passages)
        # One question: OpenMP's fork and join over both cores cost more than they save
        # (2.3 ms vs 4.6 ms for 27k vectors on 2 cores). Per thread: this worker's searches only.
        faiss.omp_set_num_threads(1)
        found = _nearest(index.faiss_index, vector, k, allowed)
        # Cosine similarity whatever the metric (vectors are normalised; L2 gives d^2).
        similarity = {i: (1 - d / 2 if self._settings.metric == "l2" else d) for i, d in found}
        ranking = _by_product(index, [i for i, _ in found])
        similar = {
            pid
            for pid, position in ranking
            if similarity[position] >= self._settings.min_similarity
        }
        return ranking, similar

    def _dense_among(
        self, index: LoadedIndex, query: Query, products: list[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """`products` ranked by their passage most similar to the question: the whole-index
        ranking of `_dense` kept to these products (nearest first; equal similarities, a
        product sold by several chains, by passage position, where FAISS may order them
        otherwise), from one small matrix product instead of a search of every passage."""
        positions = np.fromiter(
            (position for pid, _ in products for position in index.passages_of[pid]), np.int64
        )
        vector = self._embedder.embed([query.text or query.original])[0]
        # Vectors are normalised: the nearest by L2 are the most similar by inner product.
        similarity = index.vectors[positions] @ vector
        order = np.lexsort((positions, -similarity))
        return _by_product(index, positions[order].tolist())

    def _lexical(
        self, index: LoadedIndex, query: Query, allowed: NDArray[np.bool_] | None
    ) -> list[tuple[str, int]]:
        scores = index.lexical.scores(query.text or query.original, allowed)
        return _by_product(index, top(scores, self._settings.candidates * 3))

    def _fuse(
        self, index: LoadedIndex, *rankings: list[tuple[str, int]]
    ) -> list[tuple[str, float, int]]:
        fused: dict[str, float] = {}
        best: dict[str, int] = {}
        for ranking in rankings:
            for rank, (pid, position) in enumerate(ranking[: self._settings.candidates], 1):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (self._settings.rrf_k + rank)
                best.setdefault(pid, position)
        return sorted(
            ((pid, score, best[pid]) for pid, score in fused.items()),
            key=lambda item: (-item[1], item[0]),
        )

    def _order(
        self, index: LoadedIndex, query: Query, ranked: list[tuple[str, float, int]], limit: int
    ) -> list[tuple[str, float, int]]:
        if Intent.CHEAPEST in query.intents or Intent.COMPARE in query.intents:
            # Among the products that are what was asked for (every word of it), cheapest by
            # price per kg/l first: "aceite de oliva" must not turn into sunflower oil.
            terms = set(search_terms(query.text))
            exact = [
                r
                for r in ranked
                if terms <= set(search_terms(index.passages[index.passages_of[r[0]][0]].text))
            ]
            pool = exact or ranked[: limit * 2]
            ranked = sorted(pool, key=lambda r: _unit_price(index.products[r[0]]))
        # Products named by every word asked for first, then those whose whole name the
        # question says (among chatter), then those filed under a category the question
        # names ("leche", "galletas"), then the rest; among named products the name with the
        # fewest other words: "Naranja para mesa" before "Zumo de naranja", and of names with
        # the same stems the one written as asked ("Mandarinas" before "Mandarina").
        terms = set(search_terms(query.text))
        if terms and Intent.CHEAPEST not in query.intents:

            def tier(r: tuple[str, float, int]) -> tuple[bool, bool, bool, int, bool]:
                product = index.products[r[0]]
                named = names.named(product, terms)
                extra = names.extra_words(product, terms) if named else 0
                whole = named or names.said_whole(product, terms)
                written = named and names.as_written(product, query.text)
                return (not named, not whole, not _in_category(product, terms), extra, not written)

            ranked = sorted(ranked, key=tier)
        if query.exclude or query.lactose_free:  # certain answers before flagged ones
            ranked = _certain_first(index, query, ranked, limit)
        return ranked[:limit]

    async def _verify(self, hits: list[Hit], query: Query) -> list[Hit]:
        """Re-check the filters on the store's current data (prices move between rebuilds)."""
        if self._store is None or not hits:
            return hits
        current = await self._store.get_products([h.product.id for h in hits])
        verified = []
        for hit in hits:
            product = current.get(hit.product.id)
            if product is None:
                continue
            verdict = check(product, query)
            if verdict.ok:
                verified.append(
                    Hit(product, hit.score, hit.passage, verdict, hit.dense_rank, hit.lexical_rank)
                )
        return verified


WIDEN = 3  # how many times `k` an unfiltered search looks at before a filtered one is run


def _nearest(
    faiss_index: Any, vector: NDArray[np.float32], k: int, allowed: NDArray[np.bool_] | None
) -> list[tuple[int, float]]:
    """The `k` nearest allowed passages (all when `allowed` is None), nearest first, exactly.

    A filtered FAISS search checks every passage against the filter and leaves the fast
    matrix path (3.1 ms against 1.8 ms at 27k passages), so the unfiltered `WIDEN * k` nearest
    are taken first: when `k` of them are allowed they are the `k` nearest allowed passages
    (every passage further away is further than all of them). Otherwise, or when too few
    passages are allowed for that to be likely, only the allowed passages are searched."""
    import faiss

    if allowed is None:
        distances, ids = faiss_index.search(vector, k)
        return [(int(i), float(d)) for i, d in zip(ids[0], distances[0], strict=True) if i >= 0]
    total = len(allowed)
    share = float(allowed.mean()) if total else 0.0
    if share * WIDEN >= 1.5:  # about twice k allowed expected among the WIDEN * k nearest
        wide = min(total, WIDEN * k)
        distances, ids = faiss_index.search(vector, wide)
        kept = [(int(i), float(d)) for i, d in zip(ids[0], distances[0], strict=True)
                if i >= 0 and allowed[i]]  # fmt: skip
        if len(kept) >= k or wide == total:
            return kept[:k]
    bitmap = np.packbits(allowed, bitorder="little")  # a bitmap, not a set of ids (5.0 ms)
    selector = faiss.IDSelectorBitmap(total, faiss.swig_ptr(bitmap))  # both alive until done
    params = faiss.SearchParameters()
    params.sel = selector
    distances, ids = faiss_index.search(vector, k, params=params)
    return [(int(i), float(d)) for i, d in zip(ids[0], distances[0], strict=True) if i >= 0]


def _certain_first(
    index: LoadedIndex, query: Query, ranked: list[tuple[str, float, int]], limit: int
) -> list[tuple[str, float, int]]:
    """`ranked` with the products the filters hold for certainly (no flag) first, each part in
    its order; the first `limit` are known once `limit` certain ones are (checking every
    candidate's allergens cost a filtered question a quarter of its time)."""
    certain: list[tuple[str, float, int]] = []
    flagged: list[tuple[str, float, int]] = []
    for position, item in enumerate(ranked):
        (flagged if check(index.products[item[0]], query).flags else certain).append(item)
        if len(certain) == limit:
            return certain + flagged + ranked[position + 1 :]
    return certain + flagged


def _by_product(index: LoadedIndex, positions: list[int]) -> list[tuple[str, int]]:
    """Passage ranking -> product ranking (a product ranks where its best passage does)."""
    seen: dict[str, int] = {}
    for position in positions:
        seen.setdefault(index.passages[position].product_id, position)
    return list(seen.items())


def _in_category(product: Product, terms: set[str]) -> bool:
    """The product's own (most specific) category holds every word of the question."""
    return bool(product.category_path) and terms <= set(search_terms(product.category_path[-1]))


def _rank_of(pid: str, ranking: list[tuple[str, int]]) -> int | None:
    for rank, (candidate, _) in enumerate(ranking, 1):
        if candidate == pid:
            return rank
    return None


def _unit_price(product: Product) -> tuple[int, Decimal, Decimal]:
    if product.reference_price is not None:
        return (0, product.reference_price, product.price)
    return (1, product.price, product.price)


def describe(hit: Hit) -> dict[str, Any]:
    """A hit as plain data (CLI, logs, API)."""
    p = hit.product
    return {
        "id": p.id,
        "name": p.name,
        "chain": p.chain,
        "price": str(p.price),
        "reference_price": str(p.reference_price) if p.reference_price else None,
        "reference_unit": p.reference_unit,
        "score": round(hit.score, 5),
        "why": list(hit.verdict.reasons),
        "flags": list(hit.verdict.flags),
        "passage": hit.passage,
    }
