"""Generated question sets hold true on their catalogue: every gold product exists and is what
the question names, gold figures are the data's, nothing "absent" is sold, and the sample set
asks only about products the shipped adapter never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat.facts import money, reference
from core.allergens import Allergen
from core.domain import Product
from core.text import search_terms
from evaluation.questions import FAMILIES, INJECTION, QuestionSet, generate
from evaluation.run import sample_catalogue, shared_catalogue
from finetune.dataset import split_of
from ingestion.importers import ReadContext, get_reader
from ingestion.imports import FileImport
from retrieval.build import all_products
from storage.sqlite.store import SqliteProductStore
from tests.app.conftest import chat_settings
from tests.conftest import SHARED_DATA


async def _products(tmp_path: Path, files: list[tuple[Path, str]]) -> list[Product]:
    store = SqliteProductStore(tmp_path / "store.db")
    await store.initialize()
    try:
        for path, fmt in files:
            importer = FileImport(store, None, chat_settings(tmp_path).imports)
            await importer.run(get_reader(fmt), path, ReadContext())
        return await all_products(store)
    finally:
        await store.close()


def _check(questions: QuestionSet, products: list[Product]) -> None:
    by_id = {p.id: p for p in products}
    assert {q.family for q in questions.questions} == set(FAMILIES)
    assert len({q.id for q in questions.questions}) == len(questions.questions)
    sold = {w for p in products for w in search_terms(p.name)}
    for q in questions.questions:
        gold = q.gold
        if not gold.answerable:
            if q.family == "absent":
                asked = set(search_terms(q.text)) - {"donde", "puedo", "comprar", "busco", "teneis"}
                assert not asked <= sold, q.text
            continue
        assert gold.product_ids and all(i in by_id for i in gold.product_ids), q
        first = by_id[gold.product_ids[0]]
        if q.family != "compare" and q.family != "chain":
            assert first.name in q.text, q.text
        if gold.price:
            assert gold.price == money(first.price), q
        if gold.reference_price:
            assert gold.reference_price == reference(first), q
        if q.family == "compare":  # the cheapest by EUR/kg or EUR/l among those of its kind
            kind = q.text.removeprefix("Busco ").removesuffix(" al mejor precio").split(":")[0]
            same = [p for p in products if kind in p.name.lower() and p.reference_price]
            assert first in same and first.reference_price == min(
                p.reference_price
                for p in same
                if p.reference_price is not None and p.reference_unit == first.reference_unit
            ), q.text
        if gold.allergen:
            status = first.allergens.status(Allergen(gold.allergen))
            assert gold.allergen_status == status.value
    for product_id, text in questions.injected.items():
        assert INJECTION in text and product_id in by_id


async def test_the_committed_sample_set_is_true_and_held_out(tmp_path: Path) -> None:
    catalogue = sample_catalogue()
    products = await _products(tmp_path, catalogue.files)
    committed = QuestionSet.load(catalogue.questions)
    assert (
        committed.questions
        == generate("sample", products, per_family=8, held_out_only=True).questions
    )  # the committed file is what the generator makes today
    _check(committed, products)
    for q in committed.questions:
        if q.family in ("price", "reference_price", "allergens", "injection"):
            assert all(split_of(i, 0.1) == "validation" for i in q.gold.product_ids), q


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not present")
async def test_a_set_built_from_a_real_catalogue_is_true(tmp_path: Path) -> None:
    products = await _products(tmp_path, shared_catalogue(tmp_path, SHARED_DATA).files)
    questions = generate("shared", products, per_family=8)
    _check(questions, products)
