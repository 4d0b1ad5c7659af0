"""Dtype rounding, int4 quantization and the float64 reference product."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from w4a16.errors import UserError
from w4a16.reference import (
    UNIT_ROUNDOFF,
    check_problem,
    dequantize,
    from_bits,
    quantize,
    reference_matmul,
    round_to_dtype,
    to_bits,
)

TORCH = {"fp16": torch.float16, "bf16": torch.bfloat16}


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_rounding_matches_torch(rng: np.random.Generator, dtype: str) -> None:
    # float32 inputs, so torch's float32 -> half conversion is a single correct rounding too.
    x = (rng.standard_normal(20000) * np.exp(rng.uniform(-8, 8, 20000))).astype(np.float32)
    want = torch.from_numpy(x).to(TORCH[dtype]).to(torch.float32).numpy()
    assert np.array_equal(round_to_dtype(x, dtype), want)
    bits = torch.from_numpy(x).to(TORCH[dtype]).view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(to_bits(x, dtype), bits)
    assert np.array_equal(from_bits(bits, dtype), want)


def test_known_bit_patterns() -> None:
    assert to_bits(np.array([1.0, -2.0]), "fp16").tolist() == [0x3C00, 0xC000]
    assert to_bits(np.array([1.0, -2.0]), "bf16").tolist() == [0x3F80, 0xC000]
    # Ties go to even: 1 + u lies halfway between 1 and the next value.
    for dtype, u in UNIT_ROUNDOFF.items():
        assert round_to_dtype(np.array([1 + u, 1 + 3 * u]), dtype).tolist() == [1.0, 1 + 4 * u]
    assert np.isnan(from_bits(np.array([0xFFFF], dtype=np.uint16), "fp16")[0])
    assert np.isnan(from_bits(np.array([0xFFFF], dtype=np.uint16), "bf16")[0])


def test_bad_dtype() -> None:
    with pytest.raises(UserError, match="unknown activation dtype 'fp32'"):
        round_to_dtype(np.ones(2), "fp32")


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("with_zeros", [False, True], ids=["scale_only", "scale_zeros"])
@pytest.mark.parametrize("group_size", [64, 128])
def test_quantize_range_and_error(
    rng: np.random.Generator, dtype: str, with_zeros: bool, group_size: int
) -> None:
    k, n = 512, 96
    w = (rng.standard_normal((k, n)) * rng.uniform(0.01, 1.0)).astype(np.float32)
    if with_zeros:  # groups that are not centred, so zeros matter
        w += rng.uniform(-0.5, 0.5, size=(1, n)).astype(np.float32) * w.std()
    qw = quantize(w, group_size, dtype, with_zeros)
    assert qw.q.dtype == np.int8 and qw.q.shape == (k, n)
    assert qw.q.min() == -8 and qw.q.max() == 7
    assert qw.scales.shape == (k // group_size, n) and np.all(qw.scales > 0)
    assert np.array_equal(round_to_dtype(qw.scales, dtype), qw.scales)
    assert (qw.zeros is not None) == with_zeros
    if with_zeros:
        assert np.array_equal(round_to_dtype(qw.zeros, dtype), qw.zeros)
    deq = dequantize(qw.q, qw.scales, qw.zeros, group_size).numpy()
    s = np.repeat(qw.scales, group_size, axis=0).astype(np.float64)
    # Half a step (scales are rounded up); with zeros, plus z's own rounding to the dtype.
    slack = 0.0
    if with_zeros:
        slack = UNIT_ROUNDOFF[dtype] * np.abs(np.repeat(qw.zeros, group_size, axis=0))
    assert np.all(np.abs(w - deq) <= 0.5 * s + slack)


def test_quantize_degenerate_groups() -> None:
    # An all-zero group has no scale to derive (guarded, not a division by zero); with zeros,
    # a constant group is reproduced exactly by its zero point.
    w = np.zeros((64, 8), dtype=np.float32)
    w[:, 3] = 0.25
    qw = quantize(w, 64, "fp16", with_zeros=True)
    assert np.array_equal(dequantize(qw.q, qw.scales, qw.zeros, 64).numpy(), w)
    qw = quantize(w, 64, "fp16", with_zeros=False)
    deq = dequantize(qw.q, qw.scales, qw.zeros, 64).numpy()
    assert np.all(np.isfinite(deq)) and np.all(deq[:, [0, 1, 2, 4, 5, 6, 7]] == 0)
    assert np.all(np.abs(deq[:, 3] - 0.25) <= 0.5 * qw.scales[0, 3])


@pytest.mark.parametrize(
    ("k", "n", "g", "match"),
    [
        (256, 64, 96, "group size 96 is not a positive multiple of 64"),
        (256, 64, 0, "group size 0"),
        (192, 64, 128, "K=192 is not a positive multiple of the group size 128"),
        (256, 12, 64, "N=12 is not a positive multiple of 8"),
        (0, 64, 64, "K=0"),
    ],
)
def test_check_problem(k: int, n: int, g: int, match: str) -> None:
    with pytest.raises(UserError, match=match):
        check_problem(k, n, g)
    with pytest.raises(UserError, match=match):
        quantize(np.ones((k, n), dtype=np.float32), g, "fp16", False)


def test_quantize_rejects_non_matrix() -> None:
    with pytest.raises(UserError, match="2-D"):
        quantize(np.ones(64, dtype=np.float32), 64, "bf16", True)


def test_dequantize_rejects_bad_scale_shape() -> None:
    q = np.zeros((128, 8), dtype=np.int8)
    with pytest.raises(UserError, match=r"scales must have shape \[2, 8\]"):
        dequantize(q, np.ones((8, 2), dtype=np.float32), None, 64)
    with pytest.raises(UserError, match=r"zeros must have shape \[2, 8\]"):
        dequantize(q, np.ones((2, 8), dtype=np.float32), np.ones((1, 8)), 64)


def test_reference_matches_plain_float64(rng: np.random.Generator) -> None:
    m, k, n, g = 5, 256, 24, 128
    q = rng.integers(-8, 8, size=(k, n), dtype=np.int8)
    s = rng.uniform(0.01, 0.1, size=(k // g, n))
    z = rng.uniform(-0.1, 0.1, size=(k // g, n))
    a = rng.standard_normal((m, k))
    bias = rng.standard_normal(n)
    alpha = 0.75
    # Element by element, as the convention states it.
    w = np.empty((k, n))
    for kk in range(k):
        w[kk] = q[kk] * s[kk // g] + z[kk // g]
    ref = reference_matmul(a, dequantize(q, s, z, g), "fp16", alpha, bias)
    np.testing.assert_allclose(ref.ref.numpy(), alpha * (a @ w) + bias, rtol=1e-12, atol=1e-12)
    want_s = abs(alpha) * np.sqrt(((a[:, :, None] * w[None]) ** 2).sum(axis=1))
    np.testing.assert_allclose(ref.scale.numpy(), want_s, rtol=1e-12)


def test_reference_rejects_mismatch() -> None:
    w = dequantize(np.zeros((64, 8), dtype=np.int8), np.ones((1, 8)), None, 64)
    with pytest.raises(UserError, match="do not multiply"):
        reference_matmul(np.zeros((2, 128)), w, "fp16")
    with pytest.raises(UserError, match=r"bias must have shape \[8\]"):
        reference_matmul(np.zeros((2, 64)), w, "fp16", bias=np.zeros(4))
