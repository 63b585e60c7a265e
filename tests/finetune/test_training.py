"""Training for real, on the CPU, with the packaged model (slow: CI runs these in its slow
step): the loss falls, training resumes after an interruption, and the exported GGUF adapter
loads in llama.cpp, changes its output, and moves its logits the way peft does."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from chat.chat_model import Message
from core.errors import TrainingError
from core.settings import Settings
from finetune.base_model import ensure_checkpoint, load_base
from finetune.config import TrainConfig, load_config
from finetune.export import export_gguf_lora
from finetune.job import build_dataset
from finetune.precision import resolve_dtype
from finetune.template import render_prompt
from finetune.trainer import LoraTrainer, attach_lora, check_gradients, read_examples
from tests.app.conftest import chat_settings

pytest.importorskip("peft", reason="the train extra is not installed")
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make setup)")
pytestmark = pytest.mark.slow

Examples = tuple[list[list[Message]], list[list[Message]]]


@pytest.fixture
def settings(data_dir: Path, packaged_gguf: Path) -> Settings:
    return chat_settings(data_dir, model={"path": packaged_gguf})


@pytest.fixture
def examples(settings: Settings, tmp_path: Path) -> Examples:
    asyncio.run(build_dataset(settings, TrainConfig(), tmp_path / "dataset"))
    train = read_examples(tmp_path / "dataset" / "train.jsonl")
    citing = [m for m in train if "[" in m[-1].content]  # refusals are shorter but cite nothing
    short = sorted(citing, key=lambda m: len(render_prompt(m[:-1])) + len(m[-1].content))
    return short[:6], read_examples(tmp_path / "dataset" / "validation.jsonl")[:2]


def _config(**overrides: object) -> TrainConfig:
    values: dict[str, object] = {"batch_size": 2, "lr": 2e-3, "warmup_steps": 1, "eval_every": 3,
              "eval_examples": 2, "checkpoint_every": 2, "threads": 2}  # fmt: skip
    values.update(overrides)
    return load_config(overrides=[f"{k}={v}" for k, v in values.items()])


def test_loss_falls_adapter_exports_and_changes_llama_cpp_output(
    settings: Settings, examples: Examples, tmp_path: Path
) -> None:
    from llama_cpp import Llama

    train, validation = examples
    checkpoint = ensure_checkpoint(settings)
    result = LoraTrainer(_config(max_steps=9), checkpoint, tmp_path / "run", "h").run(
        train, validation
    )
    losses = [loss for _, loss in result.train_losses]
    assert len(losses) == 9
    assert np.mean(losses[-3:]) < 0.7 * np.mean(losses[:3]), losses  # same 6 examples, seen 3x
    assert [step for step, _ in result.validation_losses] == [3, 6, 9]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    # the dtype this machine computes fast, why, and the threads it was given
    assert metrics["dtype"] == metrics["precision"]["dtype"] in ("bfloat16", "float32")
    assert metrics["precision"]["reason"].startswith("auto: ")
    assert metrics["threads"] == 2
    assert (tmp_path / "run" / "config.yaml").exists()

    adapter = export_gguf_lora(result.adapter_dir, tmp_path / "adapter.gguf")
    assert 100_000 < adapter.stat().st_size < 5_000_000
    prompt = render_prompt(train[0][:-1])

    def answer(lora: Path | None) -> str:
        llm = Llama(
            str(settings.model_path), lora_path=str(lora) if lora else None,
            n_ctx=1024, verbose=False, seed=0,
        )  # fmt: skip
        out = llm.create_completion(prompt, max_tokens=24, temperature=0, stop=["<end_of_turn>"])
        assert isinstance(out, dict)  # stream=False: one response, not an iterator of chunks
        return str(out["choices"][0]["text"])

    base, tuned = answer(None), answer(adapter)
    assert tuned != base
    assert "[" in tuned  # it learned to cite

    # Promoted in the registry, the service's model picks it up without a restart.
    from chat.chat_model import Usage
    from chat.llama_model import LlamaCppChatModel
    from finetune.registry import AdapterRegistry

    registry = AdapterRegistry(tmp_path / "adapters")
    registry.disable()
    model = LlamaCppChatModel(settings, adapter=registry.current)
    assert model.name == settings.model_path.name
    (tmp_path / "adapters" / "v1").mkdir()
    shutil.copy(adapter, tmp_path / "adapters" / "v1" / "adapter.gguf")
    registry.promote("v1")
    "".join(model.stream([Message("user", "Hola")], 4, Usage()))
    assert model.name.endswith("+ adapter v1")


def test_training_resumes_from_its_last_checkpoint(
    settings: Settings, examples: Examples, tmp_path: Path
) -> None:
    train, validation = examples
    checkpoint = ensure_checkpoint(settings)
    config = _config(max_steps=4, eval_every=100)
    reference = LoraTrainer(config, checkpoint, tmp_path / "ref", "h").run(train, validation)

    def interrupt(step: int, total: int, loss: float) -> None:
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        LoraTrainer(config, checkpoint, tmp_path / "run", "h", interrupt).run(train, validation)
    assert (tmp_path / "run" / "checkpoint" / "state.pt").exists()
    resumed = LoraTrainer(config, checkpoint, tmp_path / "run", "h").run(train, validation)
    assert resumed.resumed_from == 2
    assert len(resumed.train_losses) == 4
    np.testing.assert_allclose(
        [loss for _, loss in resumed.train_losses],
        [loss for _, loss in reference.train_losses],
        rtol=0.05,
    )
    # other data: the checkpoint is not reused
    shutil.rmtree(tmp_path / "run")


def test_gguf_adapter_moves_llama_cpp_logits_like_peft(settings: Settings, tmp_path: Path) -> None:
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    checkpoint = ensure_checkpoint(settings)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=torch.float32)
    peft_model = get_peft_model(
        model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])
    )
    with torch.no_grad():  # a clearly non-zero adapter, well above quantization noise
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    peft_model.save_pretrained(str(tmp_path / "peft"))
    adapter = export_gguf_lora(tmp_path / "peft", tmp_path / "adapter.gguf")

    text = (
        "<start_of_turn>user\n¿Cuánto cuesta la leche entera?<end_of_turn>\n<start_of_turn>model\n"
    )

    def llama_logits(lora: Path | None) -> tuple[list[int], np.ndarray]:
        llm = Llama(
            str(settings.model_path), lora_path=str(lora) if lora else None,
            n_ctx=256, logits_all=True, verbose=False,
        )  # fmt: skip
        tokens = llm.tokenize(text.encode(), add_bos=True, special=True)
        llm.eval(tokens)
        return tokens, np.array(llm.scores[len(tokens) - 1])

    tokens, base = llama_logits(None)
    _, tuned = llama_logits(adapter)
    ids = torch.tensor([tokens])
    with torch.no_grad():
        peft_tuned = peft_model(ids).logits[0, -1].numpy()
        with peft_model.disable_adapter():
            peft_base = peft_model(ids).logits[0, -1].numpy()
    llama_delta, peft_delta = tuned - base, peft_tuned - peft_base
    assert np.abs(peft_delta).max() > 2  # the adapter matters
    corr = np.corrcoef(llama_delta, peft_delta)[0, 1]
    assert corr > 0.95
    assert tuned.argmax() == peft_tuned.argmax()


def test_qlora_on_cpu_learns_and_the_4bit_trap_stops_the_run(
    settings: Settings, examples: Examples, tmp_path: Path
) -> None:
    pytest.importorskip("bitsandbytes", reason="the qlora extra is not installed")
    import torch

    train, validation = examples
    checkpoint = ensure_checkpoint(settings)
    config = _config(max_steps=6, quantization="nf4", eval_every=6)
    result = LoraTrainer(config, checkpoint, tmp_path / "run", "h").run(train, validation)
    losses = [loss for _, loss in result.train_losses]
    assert result.quantization == "nf4"
    assert np.mean(losses[-2:]) < 0.8 * np.mean(losses[:2]), losses

    # The trap from ARCHITECTURE.md: one forward pass in eval mode (a `generate()`, a quick
    # check) before training repacks the 4-bit weights and no LoRA weight gets a gradient. The
    # run must stop at its first step with the reason, not train for hours with a flat loss.
    choice, _ = resolve_dtype(config.dtype)
    model, tokenizer = load_base(checkpoint, choice.dtype, "nf4")
    ids = torch.tensor([tokenizer("El precio de la leche es").input_ids])
    model.eval()
    with torch.no_grad():
        model(input_ids=ids)
    wrapped = attach_lora(model, config)
    wrapped(input_ids=ids, labels=ids).loss.backward()
    with pytest.raises(TrainingError, match="eval mode"):
        check_gradients([p for p in wrapped.parameters() if p.requires_grad])
