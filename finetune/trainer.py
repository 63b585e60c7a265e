"""LoRA training of the base model on the chat-format examples (`main`-style, compact).

- loss on answer tokens only; the 262k-word LM head applied only at answer positions
  (`answer_only_logits`, measured 2x faster: the head dominates a 270M model's step);
- bfloat16 only where this machine computes it natively, float32 elsewhere (`dtype: auto`,
  `finetune.precision`: emulated bfloat16 is ~140x slower on an AVX2-only CPU); the choice, its
  reason and how busy the threads were are recorded in metrics.json;
- QLoRA (4-bit nf4, bitsandbytes) on a CUDA GPU, bf16/fp32 LoRA on the CPU. The 4-bit trap
  (ARCHITECTURE.md): a forward pass in eval mode before training repacks the weights and every
  LoRA gradient silently becomes None, so the model is put in train mode and its inputs made to
  require grad before anything else, and validation runs in train mode under no_grad;
- validation loss every `eval_every` steps; a resumable checkpoint every `checkpoint_every`
  steps (adapter, optimizer, step, random state); progress with ETA;
- the resolved config, the data hash and the metrics are saved next to the adapter.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chat.chat_model import Message
from core.errors import TrainingError
from finetune.base_model import load_base, resolve_quantization
from finetune.config import TrainConfig
from finetune.precision import resolve_dtype
from finetune.template import IGNORE, encode

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    adapter_dir: Path
    steps: int
    examples: int
    dropped_too_long: int
    seconds: float
    tokens: int
    train_losses: list[tuple[int, float]] = field(default_factory=list)
    validation_losses: list[tuple[int, float]] = field(default_factory=list)
    resumed_from: int = 0
    quantization: str = "none"
    device: str = "cpu"
    dtype: str = "float32"
    precision: dict[str, Any] = field(default_factory=dict)  # the choice, its reason, the probe
    threads: int = 1
    # process CPU time / wall time of the steps: ~2 when both threads of a 2-core run work
    cpu_utilisation: float = 0.0

    @property
    def first_loss(self) -> float:
        return self.train_losses[0][1]

    @property
    def last_loss(self) -> float:
        tail = [loss for _, loss in self.train_losses[-10:]]
        return sum(tail) / len(tail)


def attach_lora(model: Any, cfg: TrainConfig, input_grads: bool = True) -> Any:
    """The LoRA wrapper, with the model in train mode before any forward pass (4-bit trap).

    `input_grads`: make the embeddings' output require grad (the 4-bit path's recipe). It costs
    a backward pass through every layer below the lowest adapted one, so a run that adapts only
    the last layers (`last_layers`) without 4-bit weights goes without it."""
    from peft import LoraConfig, get_peft_model

    model.train()
    if input_grads:
        model.enable_input_require_grads()
    model.config.use_cache = False
    layers = None
    if cfg.last_layers is not None:
        count = _layer_count(model)
        layers = list(range(max(0, count - cfg.last_layers), count))
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.targets),
        layers_to_transform=layers,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def _layer_count(model: Any) -> int:
    config = model.config
    text = getattr(config, "text_config", None) or config
    return int(text.num_hidden_layers)


def check_gradients(params: Sequence[Any]) -> None:
    """After the first backward pass: a run whose LoRA weights get no gradient would train for
    hours with a flat loss and ship an adapter that does nothing, so it stops here instead."""
    if not any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in params):
        raise TrainingError(
            "No LoRA weight received a gradient, so training would change nothing. With 4-bit "
            "(nf4) weights this happens when the model ran a forward pass in eval mode before "
            "training (bitsandbytes repacks the weights for inference): load it fresh and train "
            "first, or train without 4-bit (`quantization=none`)."
        )


LENGTH_WINDOW = 16  # batches whose examples are sorted by length together


def batch_order(lengths: Sequence[int], total: int, cfg: TrainConfig) -> list[list[int]]:
    """Example indices for every step, epoch after epoch, from the seed (same on resume).

    Each epoch is shuffled, cut into windows of `LENGTH_WINDOW` batches, and each window sorted
    by length before it is cut into batches, so a batch holds examples of about one length:
    padding was 16 % of the tokens computed with random batches of the sample catalogue's
    examples, 2.5 % so. The batches are shuffled again, so lengths do not come in order."""
    rng = random.Random(cfg.seed)
    window = cfg.batch_size * LENGTH_WINDOW
    batches: list[list[int]] = []
    while len(batches) < total:
        indices = list(range(len(lengths)))
        rng.shuffle(indices)
        epoch: list[list[int]] = []
        for start in range(0, len(indices), window):
            ordered = sorted(indices[start : start + window], key=lambda i: lengths[i])
            epoch += [
                ordered[i : i + cfg.batch_size] for i in range(0, len(ordered), cfg.batch_size)
            ]
        rng.shuffle(epoch)
        batches += epoch
    return batches[:total]


def padded_tokens(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> int:
    """Token positions a step computes: each batch is as wide as its longest example."""
    return sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)


def read_examples(path: Path) -> list[list[Message]]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            examples.append([Message(m["role"], m["content"]) for m in record["messages"]])
    return examples


class LoraTrainer:
    def __init__(
        self,
        config: TrainConfig,
        checkpoint: Path,
        out_dir: Path,
        data_hash: str,
        on_step: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self.config = config
        self.checkpoint = checkpoint
        self.out_dir = out_dir
        self.data_hash = data_hash
        self.on_step = on_step

    def run(
        self, train: Sequence[list[Message]], validation: Sequence[list[Message]]
    ) -> TrainResult:
        import torch

        cfg = self.config
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        quantization = resolve_quantization(cfg.quantization)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        choice, capability = resolve_dtype(cfg.dtype, cfg.threads)
        model, tokenizer = load_base(self.checkpoint, choice.dtype, quantization)
        model.to(device) if quantization == "none" else None
        model = attach_lora(model, cfg, input_grads=quantization == "nf4" or not cfg.last_layers)
        encoded, dropped = self._encode(tokenizer, train)
        held_out, _ = self._encode(tokenizer, validation[: cfg.eval_examples])
        held_out.sort(key=lambda e: len(e[0]))  # batches of like length: little padding
        if not encoded:
            raise TrainingError(
                f"No training example fits max_length={cfg.max_length} tokens: raise it "
                "(`supersmart train max_length=1024`) or check the dataset."
            )
        per_epoch = math.ceil(len(encoded) / cfg.batch_size)
        total = cfg.max_steps or max(1, math.ceil(cfg.epochs * per_epoch))
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(cfg.warmup_steps, total))
        result = TrainResult(
            self.out_dir / "peft", total, len(encoded), dropped, 0.0, 0,
            quantization=quantization, device=device, dtype=choice.dtype,
            precision=choice.record(capability), threads=torch.get_num_threads(),
        )  # fmt: skip
        start_step = self._resume(model, optimizer, scheduler, result)
        order = batch_order([len(ids) for ids, _ in encoded], total, cfg)
        started, cpu_started = time.perf_counter(), time.process_time()
        for step in range(start_step, total):
            batch = [encoded[i] for i in order[step]]
            loss, tokens = self._loss(model, batch, device)
            loss.backward()
            if step == start_step:
                check_gradients(params)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            result.train_losses.append((step + 1, round(loss.item(), 5)))
            result.tokens += tokens
            if self.on_step:
                self.on_step(step + 1, total, loss.item())
            if held_out and ((step + 1) % cfg.eval_every == 0 or step + 1 == total):
                result.validation_losses.append((step + 1, self._evaluate(model, held_out, device)))
            if (step + 1) % cfg.checkpoint_every == 0 and step + 1 < total:
                self._save_checkpoint(model, optimizer, scheduler, step + 1, result)
        result.seconds = round(time.perf_counter() - started, 2)
        cpu = time.process_time() - cpu_started
        result.cpu_utilisation = round(cpu / result.seconds, 2) if result.seconds else 0.0
        self._save(model, tokenizer, result)
        return result

    # pieces ----------------------------------------------------------------------------------
    def _encode(
        self, tokenizer: Any, examples: Sequence[list[Message]]
    ) -> tuple[list[tuple[list[int], list[int]]], int]:
        kept, dropped = [], 0
        for messages in examples:
            ids, labels = encode(tokenizer, messages)
            if len(ids) > self.config.max_length:
                dropped += 1  # never cut an answer: the model would learn to stop mid-way
                continue
            kept.append((ids, labels))
        return kept, dropped

    def _loss(self, model: Any, batch: list[tuple[list[int], list[int]]], device: str) -> Any:
        import torch
        import torch.nn.functional as F

        width = max(len(ids) for ids, _ in batch)
        pad = 0
        ids = torch.tensor([i + [pad] * (width - len(i)) for i, _ in batch], device=device)
        labels = torch.tensor(
            [lab + [IGNORE] * (width - len(lab)) for _, lab in batch], device=device
        )
        mask = torch.tensor(
            [[1] * len(i) + [0] * (width - len(i)) for i, _ in batch], device=device
        )
        causal = model.base_model.model  # the Gemma3ForCausalLM under the LoRA wrapper
        targets = labels[:, 1:]
        if self.config.answer_only_logits:
            hidden = causal.model(input_ids=ids, attention_mask=mask).last_hidden_state
            where = targets != IGNORE
            logits = causal.lm_head(hidden[:, :-1][where])
            wanted = targets[where]
        else:
            logits = causal(input_ids=ids, attention_mask=mask).logits[:, :-1]
            logits, wanted = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
        cap = getattr(causal.config, "final_logit_softcapping", None)
        if cap:
            logits = torch.tanh(logits / cap) * cap
        loss = F.cross_entropy(logits.float(), wanted, ignore_index=IGNORE)
        return loss, int(mask.sum().item())

    def _evaluate(
        self, model: Any, held_out: list[tuple[list[int], list[int]]], device: str
    ) -> float:
        import torch

        losses = []
        with torch.no_grad():  # train mode kept on purpose (4-bit trap)
            for start in range(0, len(held_out), self.config.batch_size):
                loss, _ = self._loss(
                    model, held_out[start : start + self.config.batch_size], device
                )
                losses.append(loss.item())
        return float(round(sum(losses) / len(losses), 5))

    # checkpoints -----------------------------------------------------------------------------
    @property
    def _checkpoint_dir(self) -> Path:
        return self.out_dir / "checkpoint"

    def _identity(self) -> dict[str, str]:
        return {"config": self.config.digest(), "data": self.data_hash}

    def _save_checkpoint(
        self, model: Any, optimizer: Any, scheduler: Any, step: int, result: TrainResult
    ) -> None:
        import torch
        from peft import get_peft_model_state_dict

        folder = self._checkpoint_dir
        partial = folder.with_name("checkpoint.partial")
        partial.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "adapter": get_peft_model_state_dict(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
                "identity": self._identity(),
                "train_losses": result.train_losses,
                "validation_losses": result.validation_losses,
                "tokens": result.tokens,
            },
            partial / "state.pt",
        )
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        partial.replace(folder)  # a kill mid-save leaves the previous checkpoint intact

    def _resume(self, model: Any, optimizer: Any, scheduler: Any, result: TrainResult) -> int:
        import torch
        from peft import set_peft_model_state_dict

        path = self._checkpoint_dir / "state.pt"
        if not path.exists():
            return 0
        state = torch.load(path, weights_only=False)
        if state["identity"] != self._identity():
            log.warning("Checkpoint in %s is for other data or settings: starting over.", path)
            return 0
        set_peft_model_state_dict(model, state["adapter"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        result.train_losses = [(int(s), float(v)) for s, v in state["train_losses"]]
        result.validation_losses = [(int(s), float(v)) for s, v in state["validation_losses"]]
        result.tokens = state["tokens"]
        result.resumed_from = state["step"]
        log.info("Resuming from step %d", state["step"])
        return int(state["step"])

    def _save(self, model: Any, tokenizer: Any, result: TrainResult) -> None:
        import shutil

        model.save_pretrained(result.adapter_dir)
        (self.out_dir / "config.yaml").write_text(
            yaml.safe_dump(self.config.model_dump(), sort_keys=False), encoding="utf-8"
        )
        metrics = asdict(result) | {
            "adapter_dir": str(result.adapter_dir),
            "data_hash": self.data_hash,
        }
        (self.out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
        shutil.rmtree(self._checkpoint_dir, ignore_errors=True)


def _schedule(warmup: int, total: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        remaining = max(1, total - warmup)
        return max(0.05, 1 - (step - warmup) / remaining)

    return factor
