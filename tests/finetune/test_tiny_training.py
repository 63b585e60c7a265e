"""The trainer end to end on a tiny Gemma 3 (`tests/finetune/tiny.py`): on the CPU in every run,
and QLoRA on a CUDA GPU with `pytest -m gpu` on a machine that has one (CI has none; the README
says when it was last run there and what it showed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.errors import TrainingError
from finetune.base_model import load_base
from finetune.config import load_config
from finetune.trainer import LoraTrainer, TrainResult, attach_lora, check_gradients
from tests.finetune.tiny import EXAMPLES, build_tiny_gemma

torch = pytest.importorskip("torch", reason="the train extra is not installed")
pytest.importorskip("peft", reason="the train extra is not installed")

ALL_LINEAR = "[q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj]"


def _train(
    tmp_path: Path, dead_attention: bool = False, **overrides: object
) -> tuple[TrainResult, list[float], dict[str, Any]]:
    values = {"batch_size": 4, "lr": 5e-3, "warmup_steps": 2, "max_steps": 40, "eval_every": 12,
              "eval_examples": 2, "checkpoint_every": 100, "threads": 2, "rank": 16,
              "alpha": 32, "targets": ALL_LINEAR}  # fmt: skip
    values.update(overrides)
    config = load_config(overrides=[f"{k}={v}" for k, v in values.items()])
    checkpoint = build_tiny_gemma(tmp_path / "tiny", dead_attention=dead_attention)
    result = LoraTrainer(config, checkpoint, tmp_path / "run", "tiny").run(EXAMPLES, EXAMPLES[:2])
    losses = [loss for _, loss in result.train_losses]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    return result, losses, metrics


def test_the_trainer_learns_a_tiny_model_on_the_cpu(tmp_path: Path) -> None:
    result, losses, metrics = _train(tmp_path, quantization="none", dtype="float32")
    assert (result.device, result.quantization, result.dtype) == ("cpu", "none", "float32")
    assert len(losses) == 40
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:4]), losses
    assert metrics["dtype"] == "float32"
    assert (result.adapter_dir / "adapter_model.safetensors").exists()


def test_adapting_only_the_last_layers_learns_and_exports_those_layers_alone(
    tmp_path: Path,
) -> None:
    """`last_layers`: the adapter holds the top layers only (the backward pass stops there),
    still learns, and its GGUF names those layers' tensors alone."""
    import gguf

    from finetune.export import export_gguf_lora

    result, losses, _ = _train(tmp_path, quantization="none", dtype="float32", last_layers=1)
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:4]), losses
    exported = export_gguf_lora(result.adapter_dir, tmp_path / "adapter.gguf")
    names = [t.name for t in gguf.GGUFReader(str(exported)).tensors]
    assert names and all(n.startswith("blk.1.") for n in names), names  # the tiny model has 2


def test_a_run_whose_lora_weights_get_no_gradient_stops_at_the_first_step(
    tmp_path: Path,
) -> None:
    with pytest.raises(TrainingError, match="No LoRA weight received a gradient"):
        _train(tmp_path, dead_attention=True, quantization="none", dtype="float32",
               targets="[v_proj]")  # fmt: skip
    assert not (tmp_path / "run" / "peft").exists()  # nothing shipped from a dead run


@pytest.mark.gpu
def test_qlora_is_chosen_on_a_cuda_gpu_and_learns(tmp_path: Path) -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    pytest.importorskip("bitsandbytes", reason="the qlora extra is not installed")
    result, losses, metrics = _train(tmp_path)  # quantization and dtype: auto
    assert (result.device, result.quantization) == ("cuda", "nf4")
    assert result.dtype == ("bfloat16" if torch.cuda.is_bf16_supported() else "float32")
    assert metrics["precision"]["reason"].startswith("auto: ")
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:4]), losses
    assert (result.adapter_dir / "adapter_model.safetensors").exists()


@pytest.mark.gpu
def test_on_cuda_an_eval_mode_forward_leaves_the_4bit_gradients_alone(tmp_path: Path) -> None:
    """The trap of ARCHITECTURE.md is the CPU's (bitsandbytes repacks weights for CPU
    inference); on CUDA the LoRA weights still get gradients. The trainer checks either way."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    pytest.importorskip("bitsandbytes", reason="the qlora extra is not installed")
    model, tokenizer = load_base(build_tiny_gemma(tmp_path / "tiny"), "bfloat16", "nf4")
    ids = torch.tensor([tokenizer("El precio de la leche es").input_ids], device="cuda")
    model.eval()
    with torch.no_grad():
        model(input_ids=ids)
    wrapped = attach_lora(model, load_config())
    wrapped(input_ids=ids, labels=ids).loss.backward()
    check_gradients([p for p in wrapped.parameters() if p.requires_grad])  # raises if trapped
