"""Training configuration: a versioned YAML file (`finetune/configs/default.yaml`) plus
command-line overrides (`key=value`); the resolved config is saved next to every adapter."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigurationError

DEFAULT_CONFIG = files("finetune") / "configs" / "default.yaml"


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int = Field(8, ge=1)
    alpha: int = Field(16, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    targets: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"], min_length=1)
    # adapt only the last N transformer layers (None: all): the backward pass stops below them
    last_layers: int | None = Field(None, ge=1)
    lr: float = Field(2e-4, gt=0)
    warmup_steps: int = Field(20, ge=0)
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1)
    batch_size: int = Field(4, ge=1)
    max_length: int = Field(768, ge=32)
    dtype: Literal["auto", "bfloat16", "float32"] = "auto"
    quantization: Literal["auto", "none", "nf4"] = "auto"
    answer_only_logits: bool = True
    threads: int = Field(2, ge=1)
    seed: int = 0
    eval_every: int = Field(100, ge=1)
    eval_examples: int = Field(48, ge=1)
    checkpoint_every: int = Field(25, ge=1)
    # what the adapter reads (`chat/prompt.py`): the composed answer to phrase (`brief`: without
    # the rules; `draft`: with them), or numbered products
    prompt: Literal["brief", "draft", "products"] = "brief"

    def digest(self) -> str:
        blob = json.dumps(self.model_dump(), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def load_config(path: Path | None = None, overrides: Sequence[str] = ()) -> TrainConfig:
    """The YAML file (default: the packaged one) with `key=value` overrides applied."""
    text = path.read_text(encoding="utf-8") if path else DEFAULT_CONFIG.read_text("utf-8")
    values: dict[str, Any] = yaml.safe_load(text) or {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigurationError(f"Override {item!r} is not key=value (e.g. lr=1e-4).")
        values[key.strip()] = yaml.safe_load(raw)
    try:
        return TrainConfig(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"Invalid training config: {problems}.") from None
