"""The base model for training: the packaged GGUF, dequantized once by transformers into a
cached Hugging Face checkpoint (~50 s the first time, well under a second after), never fetched
from a hub."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from chat.llama_model import ensure_model_file
from core.errors import ConfigurationError
from core.settings import Settings

log = logging.getLogger(__name__)


def checkpoint_dir(settings: Settings) -> Path:
    """Next to the GGUF it comes from: `<models>/hf/<gguf name>/`."""
    return settings.model_path.parent / "hf" / settings.model_path.stem


def ensure_checkpoint(settings: Settings) -> Path:
    """The HF checkpoint of the configured GGUF, converted on first use (atomically)."""
    target = checkpoint_dir(settings)
    if (target / "model.safetensors").exists():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = ensure_model_file(settings)
    log.info("Dequantizing %s into %s (once; about a minute)", gguf.name, target)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    # The loaded model remembers it came from GGUF; saving needs that forgotten.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(target)
    return target


def load_base(path: Path, dtype: str, quantization: str) -> tuple[Any, Any]:
    """(model, tokenizer) computing in `dtype` ("bfloat16" or "float32": resolve `auto` first,
    `finetune.precision`), the 4-bit compute dtype included. nf4 (QLoRA) needs bitsandbytes; it
    is chosen automatically only on CUDA, but also runs on the CPU (tests, and anyone who asks
    for `quantization=nf4`)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in ("bfloat16", "float32"):
        raise ConfigurationError(f"load_base needs a resolved dtype, not {dtype!r}.")
    tokenizer = AutoTokenizer.from_pretrained(path)
    kwargs: dict[str, Any] = {"dtype": getattr(torch, dtype)}
    if quantization == "nf4":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_compute_dtype=getattr(torch, dtype),
        )
        kwargs["device_map"] = {"": 0 if torch.cuda.is_available() else "cpu"}
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    return model, tokenizer


def resolve_quantization(requested: str) -> str:
    """auto -> nf4 on a CUDA GPU with bitsandbytes installed, else none."""
    if requested != "auto":
        return requested
    import torch

    if not torch.cuda.is_available():
        return "none"
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        log.warning("CUDA is available but bitsandbytes is not: training without 4-bit.")
        return "none"
    return "nf4"
