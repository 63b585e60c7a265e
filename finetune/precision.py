"""Which floating-point type training computes in, chosen from what this machine does fast.

bfloat16 halves the memory traffic and, where the hardware has it (AVX512-BF16 or AMX on the
CPU, a recent CUDA GPU), runs a LoRA step ~1.6x faster than float32. Where it has not, torch
emulates it: on an AVX2-only AMD EPYC a 512x640 @ 640x2048 matmul took 3,061 ms in bfloat16 and
21 ms in float32 (2026-12-01), and a training run that takes an hour in float32 would take days.
CPUs differ from one machine to the next (CI runs on whichever machine submits), so `dtype: auto`
never assumes: it reads the CPU capability torch dispatches to and times one small matmul in both
types, and takes bfloat16 only where it is at most 3x slower than float32 there (native bf16
measures 0.3-1.5x, emulated 50-250x: the threshold sits far from both).

The decision (`choose_dtype`) is a pure function of what was measured (`Capability`), so the
rule is unit-tested for every kind of machine; `detect_capability` does the measuring.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

from core.errors import ConfigurationError

log = logging.getLogger(__name__)

# bfloat16 counts as native when a matmul in it takes at most this many times the float32 one.
# Native bf16 measures 0.3-1.5x here, emulated 50-150x: the margin is wide on a busy machine.
NATIVE_BF16_MAX_SLOWDOWN = 3.0
# The probe: 256x512 @ 512x512, ~1 ms in float32, ~0.3 s where bfloat16 is emulated.
_PROBE_SHAPE = (256, 512, 512)


@dataclass(frozen=True)
class Capability:
    """What this machine computes fast, as measured."""

    device: str  # "cpu" or "cuda"
    isa: str  # the CPU kernels torch dispatches to ("AVX2", "AVX512", ...), or the GPU's name
    bf16_slowdown: float | None  # bfloat16 matmul time / float32 matmul time (CPU probe)
    cuda_bf16: bool = False  # the GPU computes bfloat16 natively

    @property
    def native_bf16(self) -> bool:
        if self.device == "cuda":
            return self.cuda_bf16
        return self.bf16_slowdown is not None and self.bf16_slowdown <= NATIVE_BF16_MAX_SLOWDOWN


@dataclass(frozen=True)
class DtypeChoice:
    dtype: str  # "bfloat16" or "float32": what training computes in
    requested: str
    reason: str
    warning: str | None = None

    def record(self, capability: Capability) -> dict[str, Any]:
        """What goes into the run's metrics.json."""
        return {"dtype": self.dtype, "requested": self.requested, "reason": self.reason} | {
            "capability": asdict(capability)
        }


def choose_dtype(requested: str, capability: Capability) -> DtypeChoice:
    """`auto`: bfloat16 where the hardware computes it natively, float32 elsewhere. An explicit
    choice is kept; bfloat16 without native support is warned about with its measured cost."""
    where = _describe(capability)
    if requested == "float32":
        return DtypeChoice("float32", requested, f"float32 as configured ({where})")
    if requested == "bfloat16":
        if capability.native_bf16:
            return DtypeChoice("bfloat16", requested, f"bfloat16 as configured ({where})")
        cost = (
            f"a matmul measured {capability.bf16_slowdown:.0f}x slower than in float32"
            if capability.bf16_slowdown
            else "it is emulated and much slower than float32"
        )
        return DtypeChoice(
            "bfloat16",
            requested,
            f"bfloat16 as configured, without native support ({where})",
            warning=(
                f"This machine has no native bfloat16 ({where}): {cost}, so training will be "
                "very slow. Use `dtype=auto` or `dtype=float32`."
            ),
        )
    if requested != "auto":
        raise ConfigurationError(f"Unknown dtype {requested!r}: use auto, bfloat16 or float32.")
    if capability.native_bf16:
        return DtypeChoice("bfloat16", requested, f"auto: native bfloat16 ({where})")
    return DtypeChoice("float32", requested, f"auto: no native bfloat16 ({where})")


def _describe(capability: Capability) -> str:
    if capability.device == "cuda":
        support = "bf16" if capability.cuda_bf16 else "no bf16"
        return f"CUDA {capability.isa}, {support}"
    text = f"CPU {capability.isa}"
    if capability.bf16_slowdown is not None:
        ratio = capability.bf16_slowdown
        text += (
            f", bfloat16 matmul {ratio:.0f}x float32"
            if ratio >= 10
            else (f", bfloat16 matmul {ratio:.2f}x float32")
        )
    return text


def detect_capability(threads: int | None = None) -> Capability:
    """Measure this machine (about a millisecond where bfloat16 is native, under a second where it
    is emulated). `threads`, when given, is set first: the probe runs as training will."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    if torch.cuda.is_available():
        return Capability(
            "cuda",
            torch.cuda.get_device_name(0),
            None,
            cuda_bf16=bool(torch.cuda.is_bf16_supported()),
        )
    return Capability("cpu", torch.backends.cpu.get_cpu_capability(), _bf16_slowdown())


def _bf16_slowdown() -> float:
    import torch

    m, k, n = _PROBE_SHAPE
    generator = torch.Generator().manual_seed(0)
    a32, b32 = torch.randn(m, k, generator=generator), torch.randn(k, n, generator=generator)

    def best(a: Any, b: Any, repeats: int) -> float:
        times = []
        for _ in range(repeats + 1):  # the first call warms up (allocations, kernel choice)
            start = time.perf_counter()
            torch.mm(a, b)
            times.append(time.perf_counter() - start)
        return min(times[1:])

    fp32 = best(a32, b32, 5)
    bf16 = best(a32.bfloat16(), b32.bfloat16(), 1)
    if bf16 <= NATIVE_BF16_MAX_SLOWDOWN * fp32 * 2:  # close: measure again, less noise
        bf16 = min(bf16, best(a32.bfloat16(), b32.bfloat16(), 4))
    return round(bf16 / max(fp32, 1e-9), 2)


def resolve_dtype(requested: str, threads: int | None = None) -> tuple[DtypeChoice, Capability]:
    """Measure, choose, and say so in the log (with a warning for emulated bfloat16)."""
    capability = detect_capability(threads)
    choice = choose_dtype(requested, capability)
    log.info("Training dtype: %s (%s)", choice.dtype, choice.reason)
    if choice.warning:
        log.warning(choice.warning)
    return choice, capability


def main() -> None:
    """`python -m finetune.precision`: what this machine computes fast and what `auto` picks
    (CI prints it, so a slow machine is visible in the log)."""
    import platform

    capability = detect_capability()
    choice = choose_dtype("auto", capability)
    print(f"CPU: {cpu_model() or platform.processor() or 'unknown'}")
    print(f"Training dtype (auto): {choice.dtype} ({choice.reason})")


def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
