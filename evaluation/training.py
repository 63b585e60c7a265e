"""Training questions from the real catalogues (`supersmart train --questions real`).

The real question set's generator (`evaluation/realset.py`) run with other seeds, keeping only
its development part: no product (or kind, or odd phrase) of the held-out part is ever trained
on, and none of the questions the development report asks (seed 0) is taught either, so both
parts of the report stay questions the adapter never saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from core.domain import PriceObservation, Product
from core.settings import Settings
from evaluation.questions import Question
from evaluation.realset import generate_real
from evaluation.run import eval_settings, prepare, real_catalogue
from finetune.dataset import Asked
from finetune.job import Questions
from retrieval.build import all_products
from storage.factory import create_store

TRAIN_SEEDS = (1, 2, 3, 4)
# Families the shipped adapter phrased worst on the development part (a price per kg / l
# answered with the package's price; the cheapest with its figures swapped): more of their
# questions, from further seeds, so that the mix teaches what the last adapter got wrong.
MORE_SEEDS: Mapping[str, Sequence[int]] = {
    "reference_price": range(5, 13),
    "cheapest_chain": range(5, 9),
    "cheapest_across": range(5, 9),
    "compare_two": range(5, 9),
}
# Not the model's to answer: greetings never reach it.
_NOT_ASKED = frozenset({"conversation"})


async def real_questions(
    settings: Settings, work: Path, seeds: tuple[int, ...] = TRAIN_SEEDS
) -> Questions:
    """The evaluation store over ../shared/data (built once in `work`, as `supersmart eval
    --questions real` builds it) and the development questions of other seeds."""
    local = eval_settings(settings, work)
    reported = await prepare(local, real_catalogue(work, settings.shared_data_dir))
    store = create_store(local)
    await store.initialize()
    try:
        products = await all_products(store)
        histories = {p.id: await store.price_history(p.id) for p in products
                     if p.chain == "mercadona"}  # fmt: skip
    finally:
        await store.close()
    return Questions(local, training_questions(products, histories, reported.questions, seeds))


def training_questions(
    products: Sequence[Product],
    histories: Mapping[str, Sequence[PriceObservation]],
    reported: Sequence[Question],
    seeds: Sequence[int] = TRAIN_SEEDS,
    more: Mapping[str, Sequence[int]] = MORE_SEEDS,
) -> list[Asked]:
    """The development part of the real set generated with `seeds` (and, for the families in
    `more`, with their further seeds), without the questions the report asks (`reported`),
    greetings, or any question twice."""
    seen = {q.text for q in reported}
    asked = []
    extra = sorted({seed for family_seeds in more.values() for seed in family_seeds} - {*seeds})
    for seed in [*seeds, *extra]:
        families = None if seed in seeds else {f for f, s in more.items() if seed in s}
        for q in generate_real(products, histories, seed).questions:
            if families is not None and q.family not in families:
                continue
            if q.part == "dev" and q.family not in _NOT_ASKED and q.text not in seen:
                seen.add(q.text)
                asked.append(Asked(q.text, q.family, q.text))
    return asked
