"""peft LoRA adapter -> GGUF LoRA for llama.cpp, written with the `gguf` package (the same
tensor layout as llama.cpp's `convert_lora_to_gguf.py`: `<base tensor>.lora_a` (r x in) and
`.lora_b` (out x r), `adapter.lora.alpha` in the metadata). Checked by comparing llama.cpp's
logits with the adapter against peft's (tests/finetune/test_export.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.errors import InputError

_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.lora_(?P<part>[AB])\.weight$")


def export_gguf_lora(peft_dir: Path, out: Path, architecture: str = "gemma3") -> Path:
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((peft_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if config.get("peft_type") != "LORA" or config.get("use_dora"):
        raise InputError(f"{peft_dir} is not a plain LoRA adapter: only LoRA can be exported.")
    if config.get("rank_pattern") or config.get("alpha_pattern"):
        raise InputError("Per-layer ranks or alphas are not supported by the GGUF export.")
    tensors = load_file(str(peft_dir / "adapter_model.safetensors"))
    arch = next(a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == architecture)
    blocks = 1 + max(int(m) for m in re.findall(r"layers\.(\d+)\.", " ".join(tensors)))
    names = gguf.TensorNameMap(arch, blocks)

    writer = gguf.GGUFWriter(str(out.with_suffix(".partial")), architecture)
    writer.add_string(gguf.Keys.General.TYPE, gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(config["lora_alpha"]))
    for key in sorted(tensors):
        match = _KEY.match(key)
        if match is None:
            raise InputError(f"Unexpected tensor {key} in {peft_dir}: not a LoRA A/B matrix.")
        base = names.get_name(match["module"] + ".weight", try_suffixes=(".weight",))
        if base is None:
            raise InputError(f"No llama.cpp tensor for {match['module']} ({architecture}).")
        suffix = "lora_a" if match["part"] == "A" else "lora_b"
        writer.add_tensor(f"{base}.{suffix}", tensors[key].astype("float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    out.with_suffix(".partial").replace(out)
    return out
