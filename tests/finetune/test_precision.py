"""Training computes in bfloat16 only where the machine does it natively: the rule for every
kind of machine, and the probe on this one made to compute as an AVX2-only CPU does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.errors import ConfigurationError
from finetune.config import load_config
from finetune.precision import Capability, choose_dtype

# As measured: an AVX2-only AMD EPYC (3,061 ms vs 21 ms), an AVX512-BF16/AMX Xeon (bf16 faster).
AVX2 = Capability("cpu", "AVX2", bf16_slowdown=145.8)
AVX512_BF16 = Capability("cpu", "AVX512", bf16_slowdown=0.34)
AVX512_NO_BF16 = Capability("cpu", "AVX512", bf16_slowdown=38.0)  # AVX-512 without its bf16 part
GPU = Capability("cuda", "NVIDIA H200", None, cuda_bf16=True)
OLD_GPU = Capability("cuda", "Tesla T4", None, cuda_bf16=False)


@pytest.mark.parametrize(
    ("capability", "dtype"),
    [(AVX2, "float32"), (AVX512_BF16, "bfloat16"), (AVX512_NO_BF16, "float32"),
     (GPU, "bfloat16"), (OLD_GPU, "float32")],
)  # fmt: skip
def test_auto_takes_bfloat16_only_where_it_is_native(capability: Capability, dtype: str) -> None:
    choice = choose_dtype("auto", capability)
    assert choice.dtype == dtype
    assert choice.warning is None
    assert capability.isa in choice.reason  # the log and metrics.json say why


def test_auto_is_the_default_and_float32_is_kept_when_asked() -> None:
    assert load_config().dtype == "auto"
    assert choose_dtype("float32", AVX512_BF16).dtype == "float32"


def test_explicit_bfloat16_without_native_support_runs_but_warns_with_the_cost() -> None:
    choice = choose_dtype("bfloat16", AVX2)
    assert choice.dtype == "bfloat16"
    assert choice.warning is not None
    assert "146x slower" in choice.warning and "dtype=auto" in choice.warning
    assert choose_dtype("bfloat16", AVX512_BF16).warning is None


def test_an_unknown_dtype_says_what_to_use() -> None:
    with pytest.raises(ConfigurationError, match="auto, bfloat16 or float32"):
        choose_dtype("float16", AVX2)


def test_the_choice_is_recorded_with_what_was_measured() -> None:
    record = choose_dtype("auto", AVX2).record(AVX2)
    assert record["dtype"] == "float32" and record["requested"] == "auto"
    assert record["capability"] == {
        "device": "cpu", "isa": "AVX2", "bf16_slowdown": 145.8, "cuda_bf16": False,
    }  # fmt: skip


PROBE = (
    "import json; from finetune.precision import detect_capability, choose_dtype;"
    "c = detect_capability(1); print(json.dumps([c.isa, c.bf16_slowdown, "
    "choose_dtype('auto', c).dtype]))"
)


def test_the_probe_sees_an_avx2_cpu_as_one_without_native_bfloat16() -> None:
    """torch made to compute as an AVX2-only CPU does (the issue's recipe) on whatever CPU runs
    the tests: the probe must measure the emulation and choose float32."""
    torch = pytest.importorskip("torch", reason="the train extra is not installed")
    if torch.cuda.is_available():
        pytest.skip("a CUDA machine: the probe measures the GPU, not the CPU")
    env = os.environ | {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    isa, slowdown, dtype = json.loads(done.stdout.strip().splitlines()[-1])
    assert isa == "AVX2"
    assert slowdown > 5 and dtype == "float32"
