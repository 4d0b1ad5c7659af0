"""The problems the sweep covers: Llama weight shapes x token counts x dtypes.

Kept in one place so the report, the plots and the tests agree on names and order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from w4a16.errors import UserError


@dataclass(frozen=True)
class WeightShape:
    """One linear layer's weight: out[M, N] = A[M, K] @ W[K, N]."""

    model: str
    layer: str
    n: int
    k: int

    @property
    def label(self) -> str:
        return f"{self.model}/{self.layer}"


# (layer, N, K) per model; gate_up is one of the two equal gate/up projections.
MODELS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "llama3-8b": (("qkv", 6144, 4096), ("o", 4096, 4096), ("gate_up", 14336, 4096),
                  ("down", 4096, 14336)),
    "llama2-70b": (("qkv", 10240, 8192), ("o", 8192, 8192), ("gate_up", 28672, 8192),
                   ("down", 8192, 28672)),
}
LAYERS = ("qkv", "o", "gate_up", "down")
M_VALUES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
DTYPES = ("fp16", "bf16")
GROUP = 128
QUANT = "scale_only"

# `--quick`: a smoke test of every code path in well under a minute of GPU time.
QUICK = {"models": ("llama3-8b",), "layers": ("qkv", "down"), "ms": (1, 16, 256, 4096),
         "dtypes": ("fp16",)}


def shapes(models: Iterable[str] = tuple(MODELS), layers: Iterable[str] = LAYERS) -> list[
        WeightShape]:
    """The selected shapes, in the fixed order of MODELS and LAYERS."""
    models, layers = tuple(models), tuple(layers)
    return [WeightShape(model, layer, n, k) for model in MODELS if model in models
            for layer, n, k in MODELS[model] if layer in layers]


def parse_names(text: str, valid: Iterable[str], what: str) -> tuple[str, ...]:
    """`"a,b"` -> ("a", "b"), each checked against `valid`; `"all"` means all of them."""
    valid = tuple(valid)
    if text.strip() == "all":
        return valid
    names = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [n for n in names if n not in valid]
    if bad or not names:
        raise UserError(f"unknown {what} {', '.join(bad) or repr(text)}; "
                        f"choose from {', '.join(valid)} or all")
    return names


def parse_ms(text: str) -> tuple[int, ...]:
    """`"1,16,128"` -> (1, 16, 128); `"all"` -> M_VALUES."""
    if text.strip() == "all":
        return M_VALUES
    try:
        ms = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise UserError(f"--m expects comma-separated integers or all, got {text!r}") from None
    if not ms or any(m <= 0 for m in ms):
        raise UserError(f"--m values must be positive integers, got {text!r}")
    return ms
