"""The error model: an emulated correct kernel passes it, and emulated mistakes fail it."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from w4a16.casefiles import Case, CaseSpec, random_case
from w4a16.errors import UserError
from w4a16.reference import (
    POISON_BITS,
    Reference,
    check_output,
    error_bound,
    preprocess_sm90,
    to_bits,
)

from .emulator import emulate_kernel
from .test_layout import FACT_PERMUTATION, FACT_WORD_ORDER


def layout(
    q: np.ndarray,
    permutation: list[int] = FACT_PERMUTATION,
    word_order: list[int] = FACT_WORD_ORDER,
    bias: int = 8,
    low_first: bool = True,
) -> np.ndarray:
    """The SM90 layout with each step switchable, to plant one mistake at a time."""
    k, n = q.shape
    rows = q.reshape(k // 32, 32, n)[:, permutation, :].reshape(k, n)
    nib = ((rows.T.astype(np.int16) + bias) & 0xF).astype(np.uint8)  # [N, K]
    nib = nib.reshape(n, k // 8, 8)[..., word_order].reshape(n, k // 2, 2)
    lo, hi = (nib[..., 0], nib[..., 1]) if low_first else (nib[..., 1], nib[..., 0])
    return (lo | (hi << 4)).astype(np.uint8).reshape(-1)


def emulate(case: Case, **override: object) -> np.ndarray:
    s = case.spec
    args: dict[str, object] = {
        "activations": case.activations,
        "packed_weights": preprocess_sm90(case.weights),
        "scales": case.scales,
        "zeros": case.zeros,
        "bias": case.bias,
        "k": s.k,
        "n": s.n,
        "group_size": s.group_size,
        "dtype": s.dtype,
        "alpha": s.alpha,
    }
    args.update(override)
    return emulate_kernel(**args)  # type: ignore[arg-type]


def fresh_case(rng: np.random.Generator, **spec: object) -> Case:
    return random_case(CaseSpec(**spec), seed=int(rng.integers(2**31)))  # type: ignore[arg-type]


CORRECT_CASES = [
    # (k, group_size, m, n, has_bias, alpha)
    (128, 64, 64, 256, False, 1.0),
    (1024, 128, 48, 256, True, 1.0),
    (4096, 64, 33, 128, True, 0.5),
    (8192, 128, 17, 128, False, 1.25),
]


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("quant_op", ["scale_only", "scale_zeros"])
@pytest.mark.parametrize(
    ("k", "group_size", "m", "n", "has_bias", "alpha"),
    CORRECT_CASES,
    ids=[f"k{c[0]}_g{c[1]}" for c in CORRECT_CASES],
)
def test_emulated_kernel_passes(
    rng: np.random.Generator,
    record_property: Callable[[str, object], None],
    dtype: str,
    quant_op: str,
    k: int,
    group_size: int,
    m: int,
    n: int,
    has_bias: bool,
    alpha: float,
) -> None:
    case = fresh_case(
        rng, m=m, n=n, k=k, group_size=group_size, dtype=dtype, quant_op=quant_op,
        alpha=alpha, has_bias=has_bias,
    )  # fmt: skip
    result = check_output(emulate(case), case.reference())
    record_property("rel_error", result.rel_error)
    record_property("max_violation", result.max_violation)
    assert result.passed, result.summary()


def test_layout_helper_is_the_real_layout(rng: np.random.Generator) -> None:
    q = rng.integers(-8, 8, size=(256, 16), dtype=np.int8)
    assert np.array_equal(layout(q), preprocess_sm90(q))


def _roll_scales(case: Case) -> dict[str, object]:
    return {"scales": np.roll(case.scales, 1, axis=0)}


def _transposed_scales(case: Case) -> dict[str, object]:
    return {"scales": case.scales.T.copy().reshape(case.scales.shape)}


def _doubled_group(case: Case) -> dict[str, object]:
    groups = case.scales.shape[0] // 2
    zeros = None if case.zeros is None else case.zeros[:groups]
    return {"scales": case.scales[:groups], "zeros": zeros, "group_size": 2 * case.spec.group_size}


def _drop_last_k_tile(case: Case) -> dict[str, object]:
    a = case.activations.copy()
    a[:, -64:] = 0  # the bit pattern of +0.0: the kernel skipped the last 64-wide K tile
    return {"activations": a}


MISTAKES: dict[str, Callable[[Case], dict[str, object]]] = {
    "no_row_permutation": lambda c: {"packed_weights": layout(c.weights, list(range(32)))},
    "sequential_nibbles": lambda c: {"packed_weights": layout(c.weights, word_order=[*range(8)])},
    "high_nibble_first": lambda c: {"packed_weights": layout(c.weights, low_first=False)},
    "no_int4_bias": lambda c: {"packed_weights": layout(c.weights, bias=0)},
    "scales_transposed": _transposed_scales,
    "group_index_off_by_one": _roll_scales,
    "group_size_doubled": _doubled_group,
    "zeros_ignored": lambda c: {"zeros": None},
    "bias_ignored": lambda c: {"bias": None},
    "alpha_ignored": lambda c: {"alpha": 1.0},
    "last_k_tile_dropped": _drop_last_k_tile,
}


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_mistake_is_caught(rng: np.random.Generator, dtype: str, mistake: str) -> None:
    case = fresh_case(
        rng, m=24, n=128, k=4096, group_size=128, dtype=dtype, quant_op="scale_zeros",
        alpha=1.5, has_bias=True,
    )  # fmt: skip
    reference = case.reference()
    assert check_output(emulate(case), reference).passed  # the unmodified emulator is fine
    result = check_output(emulate(case, **MISTAKES[mistake](case)), reference)
    assert not result.elementwise_ok, f"{mistake} slipped through: {result.summary()}"
    assert result.max_violation > 1.0


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_unwritten_rows_are_caught(rng: np.random.Generator, dtype: str) -> None:
    case = fresh_case(rng, m=8, n=64, k=128, group_size=64, dtype=dtype, quant_op="scale_only")
    out = emulate(case)
    out[5] = POISON_BITS
    result = check_output(out, case.reference())
    assert not result.passed
    assert result.nan_count == 64 and result.unwritten_count == 64
    assert result.max_violation <= 1.0  # the written part is still right
    assert "64 NaN (64 unwritten)" in result.summary()


def _reference(ref: list[list[float]], scale: list[list[float]], dtype: str) -> Reference:
    return Reference(
        torch.tensor(ref, dtype=torch.float64), torch.tensor(scale, dtype=torch.float64), dtype
    )


def test_bound_formula_by_hand() -> None:
    r = _reference([[2.0, -4.0]], [[1.0, 0.0]], "bf16")
    u = 2.0**-8
    assert error_bound(r).tolist() == [[2 * u + 5 * u, 4 * u]]
    r = _reference([[2.0]], [[3.0]], "fp16")
    assert error_bound(r).tolist() == [[2 * 2.0**-11 + 15 * 2.0**-11]]


def test_rounded_reference_passes_and_nudged_fails() -> None:
    ref = [[1.0, -3.0, 0.1, 1000.0]]
    r = _reference(ref, [[0.0, 0.0, 0.0, 0.0]], "fp16")
    exact = to_bits(np.array(ref), "fp16")
    result = check_output(exact, r)
    assert result.passed and result.max_violation <= 1.0
    nudged = exact.copy()
    nudged[0, 3] += 2  # two ulps off, where S = 0 allows only rounding
    result = check_output(nudged, r)
    assert not result.passed and result.worst_index == (0, 3)


def test_zero_bound_needs_exact_match() -> None:
    r = _reference([[0.0, 0.0]], [[0.0, 0.0]], "fp16")
    assert check_output(np.array([[0, 0]], dtype=np.uint16), r).max_violation == 0.0
    result = check_output(np.array([[0, 1]], dtype=np.uint16), r)  # 1 = smallest subnormal
    assert math.isinf(result.max_violation) and not result.passed


def test_inf_and_all_nan_fail() -> None:
    r = _reference([[1.0, 1.0]], [[1.0, 1.0]], "bf16")
    inf = to_bits(np.array([[1.0, np.inf]]), "bf16")
    assert not check_output(inf, r).passed
    poisoned = np.full((1, 2), POISON_BITS, dtype=np.uint16)
    result = check_output(poisoned, r)
    assert not result.passed and result.unwritten_count == 2 and result.worst_index is None


def test_check_rejects_bad_outputs() -> None:
    r = _reference([[1.0, 1.0]], [[1.0, 1.0]], "fp16")
    with pytest.raises(UserError, match="shape"):
        check_output(np.zeros((2, 1), dtype=np.uint16), r)
    with pytest.raises(UserError, match="uint16"):
        check_output(np.zeros((1, 2), dtype=np.float16), r)
