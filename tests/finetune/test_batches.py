"""Training batches: every example once an epoch, of about one length (little padding)."""

from __future__ import annotations

import random
from collections import Counter

from finetune.config import TrainConfig
from finetune.trainer import batch_order, padded_tokens


def test_each_epoch_takes_every_example_once_in_batches_of_like_length() -> None:
    rng = random.Random(3)
    lengths = [rng.randint(120, 600) for _ in range(1_250)]  # the sample catalogue's spread
    cfg = TrainConfig()
    steps = -(-len(lengths) // cfg.batch_size)

    order = batch_order(lengths, 2 * steps, cfg)

    for epoch in (order[:steps], order[steps:]):
        assert Counter(i for batch in epoch for i in batch) == Counter(range(len(lengths)))
    computed = padded_tokens(lengths, order[:steps])
    assert computed <= 1.05 * sum(lengths)  # random batches of these compute 1.4x
    widths = [max(lengths[i] for i in batch) for batch in order[:steps]]
    assert widths != sorted(widths) and widths != sorted(widths, reverse=True)  # mixed lengths
    assert batch_order(lengths, 2 * steps, cfg) == order  # the same on resume
    assert batch_order(lengths, steps, cfg.model_copy(update={"seed": 1})) != order[:steps]
