"""Training benchmark: seconds per step, tokens per second and peak memory of LoRA training.

    python benchmarks/train.py [--steps 4] [--examples 48] [--threads 2] [--data-dir DIR]
                               [--output FILE] [--all-variants]

Real RAG-format examples (the chat service's own prompts over the sample catalogue, as
`supersmart train` builds them) on the packaged Gemma 3 270M, the same batches for every
variant, each variant in its own process (peak RSS is a per-process high-water mark):

- `plain peft`: transformers + peft the textbook way, `model(input_ids, labels=...)` computing
  the 262k-word LM head at every position, in fp32 and in bf16;
- `trainer`: our `LoraTrainer`, fp32 and bf16, with and without answer-only logits (the LM head
  applied only where the answer is), and adapting only the last 13 of the 18 layers (the
  backward pass stops below them).

One warm-up step is not counted. Speed-ups are against `plain peft fp32` in the same run, so a
busy machine moves every row alike. `CPU use` is process CPU time over wall time during the
steps (about 2 when both threads of a 2-thread run are busy).

The CPU matters more than anything here: where bfloat16 is emulated (AVX2-only CPUs) a bf16 step
takes tens of minutes, so the bf16 training variants run there only with `--all-variants`; both
dtypes are always measured on one matmul (512x640 @ 640x2048, the shape of the issue that found
it), and the table says what `dtype: auto` picks on this machine. To see an AVX2 CPU's figures on
a newer one: `ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/train.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/train.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from benchmarks.common import (
    bench_settings,
    machine,
    print_table,
    print_targets,
    sample_catalogue,
    target,
    write_results,
)
from core.settings import Settings
from finetune.config import TrainConfig, load_config

LAST_LAYERS = 13  # of Gemma 3 270M's 18 layers (`last_layers` in the default config)
_LAST = {"answer_only": "true", "last_layers": str(LAST_LAYERS)}
VARIANTS: dict[str, dict[str, str]] = {
    "plain peft fp32": {"loop": "plain", "dtype": "float32"},
    "plain peft bf16": {"loop": "plain", "dtype": "bfloat16"},
    "trainer fp32, full logits": {"loop": "ours", "dtype": "float32", "answer_only": "false"},
    "trainer fp32, answer-only": {"loop": "ours", "dtype": "float32", "answer_only": "true"},
    f"trainer fp32, answer-only, last {LAST_LAYERS} layers": {
        "loop": "ours",
        "dtype": "float32",
        **_LAST,
    },
    "trainer bf16, full logits": {"loop": "ours", "dtype": "bfloat16", "answer_only": "false"},
    "trainer bf16, answer-only": {"loop": "ours", "dtype": "bfloat16", "answer_only": "true"},
    f"trainer bf16, answer-only, last {LAST_LAYERS} layers": {
        "loop": "ours",
        "dtype": "bfloat16",
        **_LAST,
    },
}
BASELINE = "plain peft fp32"


def _config(variant: dict[str, str], steps: int, threads: int) -> TrainConfig:
    return load_config(
        overrides=[
            f"dtype={variant['dtype']}",
            f"answer_only_logits={variant.get('answer_only', 'false')}",
            f"last_layers={variant.get('last_layers', 'null')}",  # null: LoRA on every layer
            f"max_steps={steps + 1}",
            f"threads={threads}",
            "eval_examples=1",  # no validation set is given: nothing is evaluated
            f"checkpoint_every={10**6}",
            "quantization=none",
        ]
    )


# one variant, in its own process --------------------------------------------------------------
def run_variant(name: str, checkpoint: Path, examples: Path, steps: int, threads: int) -> None:
    from finetune.template import encode
    from finetune.trainer import LoraTrainer, batch_order, padded_tokens, read_examples

    variant = VARIANTS[name]
    cfg = _config(variant, steps, threads)
    train = read_examples(examples)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    lengths = [len(encode(tokenizer, m)[0]) for m in train]
    fitting = [n for n in lengths if n <= cfg.max_length]
    order = batch_order(fitting, steps + 1, cfg)
    tokens = [sum(fitting[i] for i in batch) for batch in order]
    padded = padded_tokens(fitting, order[1:])
    ends: list[float] = []
    cpu = [time.process_time()]
    if variant["loop"] == "ours":
        with tempfile.TemporaryDirectory() as out:

            def on_step(*_: object) -> None:
                ends.append(time.time())
                cpu.append(time.process_time())

            trainer = LoraTrainer(cfg, checkpoint, Path(out), "bench", on_step=on_step)
            trainer.run(train, [])
    else:
        ends, cpu = _plain_peft(cfg, checkpoint, train, order)
    seconds = [b - a for a, b in itertools.pairwise(ends)]  # warm-up step not counted
    cpu_use = (cpu[-1] - cpu[-len(seconds) - 1]) / sum(seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "variant": name,
                "steps": len(seconds),
                "s_per_step": round(statistics.median(seconds), 3),
                "tokens_per_s": round(sum(tokens[1:]) / sum(seconds), 1),
                "tokens_per_step": round(statistics.mean(tokens[1:]), 1),
                "s_per_padded_token": sum(seconds) / padded,
                "peak_rss_mb": round(peak_mb),
                "cpu_use": round(cpu_use, 2),
            }
        )
    )


def _plain_peft(
    cfg: TrainConfig, checkpoint: Path, train: list[Any], order: list[list[int]]
) -> tuple[list[float], list[float]]:
    """The loop from the peft documentation: labels in, loss out (all logits computed)."""
    import torch

    from finetune.base_model import load_base
    from finetune.template import IGNORE, encode
    from finetune.trainer import attach_lora

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    model, tokenizer = load_base(checkpoint, cfg.dtype, "none")
    model = attach_lora(model, cfg)
    encoded = [e for e in (encode(tokenizer, m) for m in train) if len(e[0]) <= cfg.max_length]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr)
    ends, cpu = [], []
    for batch in order:
        rows = [encoded[i] for i in batch]
        width = max(len(ids) for ids, _ in rows)
        ids = torch.tensor([i + [0] * (width - len(i)) for i, _ in rows])
        labels = torch.tensor([lab + [IGNORE] * (width - len(lab)) for _, lab in rows])
        mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in rows])
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        ends.append(time.time())
        cpu.append(time.process_time())
    return ends, cpu


EMULATION = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")


def _matmul_ms(threads: int) -> dict[str, float]:
    """One 512x640 @ 640x2048 matmul in each dtype, best of 3 after a warm-up."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(512, 640), torch.randn(640, 2048)
    timings = {}
    for name in ("float32", "bfloat16"):
        x, y = a.to(getattr(torch, name)), b.to(getattr(torch, name))
        runs = []
        for _ in range(4):
            start = time.perf_counter()
            torch.mm(x, y)
            runs.append((time.perf_counter() - start) * 1000)
        timings[name] = round(min(runs[1:]), 2)
    return timings


# the whole benchmark -----------------------------------------------------------------------
async def _examples(settings: Settings, count: int, out: Path) -> tuple[Path, list[Any]]:
    """`count` training examples of every length, written to `out`; and the whole set."""
    from finetune.job import build_examples
    from finetune.template import render_prompt

    examples, _ = await build_examples(settings, TrainConfig())
    train = [e for e in examples if e.split == "train"]
    everything = list(train)
    # A spread of lengths, like real batches: every k-th example by prompt length.
    train.sort(key=lambda e: len(render_prompt(e.messages[:-1])))
    step = max(1, len(train) // count)
    lines = [
        json.dumps({"messages": [{"role": m.role, "content": m.content} for m in e.messages]})
        for e in train[::step][:count]
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out, everything


NIGHTLY_EXAMPLES = 2_000
WINDOW_MIN = 40.0


def nightly(
    results: list[dict[str, Any]], train: list[Any], checkpoint: Path, auto: str
) -> dict[str, Any]:
    """Issue #19's training target: minutes for one epoch over 2,000 examples like the sample
    catalogue's, from each variant's measured seconds per computed (padded) token and the
    padding of the trainer's batches over the whole training set (plain peft: random batches,
    as it was)."""
    import math
    import random

    from transformers import AutoTokenizer

    from finetune.template import encode
    from finetune.trainer import batch_order, padded_tokens

    cfg = TrainConfig()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    lengths = [n for n in (len(encode(tokenizer, e.messages)[0]) for e in train)
               if n <= cfg.max_length]  # fmt: skip
    steps = math.ceil(len(lengths) / cfg.batch_size)
    grouped = padded_tokens(lengths, batch_order(lengths, steps, cfg)) / len(lengths)
    shuffled = list(range(len(lengths)))
    random.Random(cfg.seed).shuffle(shuffled)
    plain = [shuffled[i : i + cfg.batch_size] for i in range(0, len(shuffled), cfg.batch_size)]
    unsorted = padded_tokens(lengths, plain) / len(lengths)
    minutes = {
        r["variant"]: r["s_per_padded_token"]
        * (unsorted if r["variant"].startswith("plain") else grouped)
        * NIGHTLY_EXAMPLES
        / 60
        for r in results
    }
    last = load_config().last_layers  # what `supersmart train` adapts by default
    if last not in (None, LAST_LAYERS):
        sys.exit(f"The default config adapts the last {last} layers; set LAST_LAYERS to match.")
    chosen = f"trainer {'bf16' if auto == 'bfloat16' else 'fp32'}, answer-only" + (
        f", last {last} layers" if last else ""
    )
    return {
        "examples": NIGHTLY_EXAMPLES,
        "padding_share": {
            "random batches": round(1 - sum(lengths) / len(lengths) / unsorted, 3),
            "length-grouped batches": round(1 - sum(lengths) / len(lengths) / grouped, 3),
        },
        "minutes": {k: round(v, 1) for k, v in minutes.items()},
        "targets": [
            target(
                f"nightly training, {NIGHTLY_EXAMPLES:,} examples ({chosen}, what auto picks)",
                minutes[chosen] / WINDOW_MIN,
                1.0,
                f"{WINDOW_MIN:.0f} min window; plain peft fp32 {minutes[BASELINE]:.0f} min",
                f"{minutes[chosen]:.1f} min",
            )
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="measured steps per variant")
    parser.add_argument("--examples", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, help="reuse a data dir (models, catalogue)")
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--all-variants", action="store_true",
        help="also run the bf16 training variants where bf16 is emulated (tens of minutes a step)",
    )  # fmt: skip
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--examples-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        run_variant(args.variant, args.checkpoint, args.examples_file, args.steps, args.threads)
        return

    from finetune.base_model import ensure_checkpoint
    from finetune.precision import choose_dtype, cpu_model, detect_capability

    capability = detect_capability(args.threads)
    auto = choose_dtype("auto", capability)
    matmul = _matmul_ms(args.threads)
    cpu = {
        "cpu_model": cpu_model(),
        "torch_capability": capability.isa,
        "emulating": {k: os.environ[k] for k in EMULATION if k in os.environ},
        "matmul_ms": matmul,
        "bf16_matmul_slowdown": round(matmul["bfloat16"] / matmul["float32"], 2),
        "auto_dtype": auto.dtype,
        "auto_reason": auto.reason,
    }
    print_table(
        f"This machine ({args.threads} threads)",
        ["CPU", "torch kernels", "matmul fp32 ms", "matmul bf16 ms", "bf16 / fp32", "auto picks"],
        [[cpu["cpu_model"] or "?", capability.isa + (" (emulated)" if cpu["emulating"] else ""),
          matmul["float32"], matmul["bfloat16"], f"{cpu['bf16_matmul_slowdown']:.2f}x",
          auto.dtype]],
    )  # fmt: skip
    names = [
        name
        for name, variant in VARIANTS.items()
        if args.all_variants or capability.native_bf16 or variant["dtype"] == "float32"
    ]
    skipped = [name for name in VARIANTS if name not in names]
    if skipped:
        print(f"Not run (bf16 is emulated here; --all-variants runs them): {', '.join(skipped)}")

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        settings = bench_settings(data_dir)
        if not (data_dir / "index").exists():
            asyncio.run(sample_catalogue(settings))
        checkpoint = ensure_checkpoint(settings)
        examples, train = asyncio.run(
            _examples(settings, args.examples, Path(tmp) / "examples.jsonl")
        )
        results = []
        for name in names:
            print(f"{name} ...", flush=True)
            done = subprocess.run(
                [sys.executable, __file__, "--variant", name, "--checkpoint", str(checkpoint),
                 "--examples-file", str(examples), "--steps", str(args.steps),
                 "--threads", str(args.threads)],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode:
                sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        window = nightly(results, train, checkpoint, auto.dtype)
    base = next(r for r in results if r["variant"] == BASELINE)
    for row in results:
        row["speedup_vs_plain_fp32"] = round(base["s_per_step"] / row["s_per_step"], 2)
    print_table(
        f"LoRA training steps (batch 4, {args.threads} threads, median of {args.steps})",
        ["variant", "s/step", "tokens/s", "tokens/step", "peak RSS MB", "CPU use", "speed-up"],
        [
            [
                r["variant"],
                r["s_per_step"],
                r["tokens_per_s"],
                r["tokens_per_step"],
                r["peak_rss_mb"],
                f"{r['cpu_use']:.2f}",
                f"{r['speedup_vs_plain_fp32']:.2f}x",
            ]
            for r in results
        ],
    )
    shares = ", ".join(f"{k} {v:.1%}" for k, v in window["padding_share"].items())
    print(f"Padding over the whole training set: {shares}.")
    print_targets(window["targets"])
    payload = {
        "machine": machine() | {"threads": args.threads} | cpu,
        "results": results,
        "not_run": skipped,
        "nightly": window,
        "targets": window["targets"],
    }
    print(f"written to {write_results('train', payload, args.output)}")


if __name__ == "__main__":
    main()
