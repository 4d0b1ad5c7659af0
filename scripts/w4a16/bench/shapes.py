"""The problems the sweep covers: weight shapes (model presets or any N,K) x token counts x
dtypes.

Kept in one place so the report, the plots and the tests agree on names and order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from w4a16.errors import UserError
from w4a16.reference import check_problem
from w4a16.tactics import QUANT_OPS as QUANT_OPS


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


def _projections(hidden: int, intermediate: int, heads: int, kv_heads: int,
                 head_dim: int) -> tuple[tuple[str, int, int], ...]:
    """(layer, N, K) of a decoder block from its config: fused qkv, o, one of the two equal
    gate/up projections, down."""
    return (("qkv", (heads + 2 * kv_heads) * head_dim, hidden), ("o", hidden, hidden),
            ("gate_up", intermediate, hidden), ("down", hidden, intermediate))


# (layer, N, K) per model, from each model's published config.json.
MODELS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "llama3-8b": _projections(4096, 14336, 32, 8, 128),
    "llama2-70b": _projections(8192, 28672, 64, 8, 128),
    "llama3-70b": _projections(8192, 28672, 64, 8, 128),
    "qwen2.5-7b": _projections(3584, 18944, 28, 4, 128),
    "qwen2.5-72b": _projections(8192, 29568, 64, 8, 128),
}
# What the sweep runs when neither --models nor --shape is given (the committed reports'
# selection; `--models all` takes every preset).
DEFAULT_MODELS = ("llama3-8b", "llama2-70b")
LAYERS = ("qkv", "o", "gate_up", "down")
M_VALUES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
DTYPES = ("fp16", "bf16")
GROUP = 128
QUANT = "scale_only"
# The model name of shapes given with --shape N,K.
CUSTOM = "custom"

# `--quick`: a smoke test of every code path in well under a minute of GPU time.
QUICK = {"models": ("llama3-8b",), "layers": ("qkv", "down"), "ms": (1, 16, 256, 4096),
         "dtypes": ("fp16",)}


def shapes(models: Iterable[str] = DEFAULT_MODELS, layers: Iterable[str] = LAYERS) -> list[
        WeightShape]:
    """The selected preset shapes, in the fixed order of MODELS and LAYERS."""
    models, layers = tuple(models), tuple(layers)
    return [WeightShape(model, layer, n, k) for model in MODELS if model in models
            for layer, n, k in MODELS[model] if layer in layers]


def custom_shape(n: int, k: int) -> WeightShape:
    """A shape given by its dimensions: label `custom/n4096_k14336`."""
    return WeightShape(CUSTOM, f"n{n}_k{k}", n, k)


def parse_shape(text: str) -> WeightShape:
    """`"4096,14336"` -> custom_shape(4096, 14336); a one-line UserError otherwise."""
    parts = [s.strip() for s in text.split(",")]
    try:
        n, k = (int(s) for s in parts)
    except ValueError:
        raise UserError(f"--shape expects N,K (two positive integers), got {text!r}") from None
    if n <= 0 or k <= 0:
        raise UserError(f"--shape expects N,K (two positive integers), got {text!r}")
    return custom_shape(n, k)


def check_group(group: int) -> None:
    """The kernel's K tile is 64 elements, so a group is a positive multiple of 64."""
    if group <= 0 or group % 64:
        raise UserError(f"--group {group} is not a positive multiple of 64 (the kernel's K tile)")


def check_shapes(selected: Iterable[WeightShape], group: int) -> None:
    """Refuse, before any GPU time is spent, a shape the kernel cannot run at this group."""
    check_group(group)
    for s in selected:
        try:
            check_problem(s.k, s.n, group)
        except UserError as exc:
            raise UserError(f"{s.label} (N={s.n}, K={s.k}): {exc}") from None


def check_quant(quant: str) -> str:
    if quant not in QUANT_OPS:
        raise UserError(f"unknown quant op {quant!r}; choose from {', '.join(QUANT_OPS)}")
    return quant


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
