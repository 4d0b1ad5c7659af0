"""The CUDA-core GEMV's error model: its emulated arithmetic passes, planted mistakes fail.

The GEMV accumulates in the activation dtype along fixed chains (reference.py, "G"); these
tests run an independent emulation of that rounding on the CPU and judge it with the model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from w4a16.casefiles import Case
from w4a16.reference import GEMV_CHUNK, GEMV_THREADS, check_output, gemv_chain_scale
from w4a16.tactics import GEMV_TACTIC

from .emulator import emulate_gemv
from .test_error_model import fresh_case


def emulate(case: Case, **override: object) -> np.ndarray:
    s = case.spec
    args: dict[str, object] = {
        "activations": case.activations, "q": case.weights, "scales": case.scales,
        "zeros": case.zeros, "bias": case.bias, "group_size": s.group_size, "dtype": s.dtype,
        "alpha": s.alpha,
    }  # fmt: skip
    args.update(override)
    return emulate_gemv(**args)  # type: ignore[arg-type]


# (k, group_size, m, n, has_bias, alpha): one and several iterations per thread, a last
# iteration that only some threads reach (K = 4160 and 8256), M from 1 to 15.
CASES = [
    (192, 64, 5, 200, True, 1.0),
    (4096, 128, 1, 256, False, 1.0),
    (4160, 64, 7, 64, True, 0.5),
    (8256, 64, 15, 64, False, 1.25),
]


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("quant_op", ["scale_only", "scale_zeros"])
@pytest.mark.parametrize(("k", "group_size", "m", "n", "has_bias", "alpha"), CASES,
                         ids=[f"k{c[0]}_m{c[2]}" for c in CASES])
def test_emulated_gemv_passes_its_model(
    rng: np.random.Generator, record_property: Callable[[str, object], None], dtype: str,
    quant_op: str, k: int, group_size: int, m: int, n: int, has_bias: bool, alpha: float,
) -> None:
    case = fresh_case(rng, m=m, n=n, k=k, group_size=group_size, dtype=dtype,
                      quant_op=quant_op, alpha=alpha, has_bias=has_bias)
    result = check_output(emulate(case), case.reference_for(GEMV_TACTIC))
    record_property("max_violation", result.max_violation)
    record_property("rel_error", result.rel_error)
    assert result.passed, result.summary()


@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("quant_op", ["scale_only", "scale_zeros"])
def test_planted_mistakes_fail_the_gemv_model(rng: np.random.Generator, dtype: str,
                                              quant_op: str) -> None:
    case = fresh_case(rng, m=3, n=128, k=4096, group_size=128, dtype=dtype, quant_op=quant_op,
                      alpha=1.0, has_bias=False)
    reference = case.reference_for(GEMV_TACTIC)
    assert check_output(emulate(case), reference).passed
    # The scales of the next group (a scale-index slip), and weights from a wrong column.
    shifted = np.roll(case.scales, 1, axis=0)
    assert not check_output(emulate(case, scales=shifted), reference).passed
    swapped = np.roll(case.weights, 1, axis=1)
    assert not check_output(emulate(case, q=swapped), reference).passed


def _g_by_loops(a: np.ndarray, q: np.ndarray, s: np.ndarray, z: np.ndarray | None,
                group: int, alpha: float) -> np.ndarray:
    """G written out as the chains run, one output at a time (the plain form of the model)."""
    m, k = a.shape
    n = q.shape[1]
    chunks = k // GEMV_CHUNK
    out = np.zeros((m, n))
    for r in range(m):
        for col in range(n):
            sq = 0.0
            for t in range(GEMV_THREADS):
                acc = 0.0
                for c in range(t, chunks, GEMV_THREADS):
                    sc, local = s[c * GEMV_CHUNK // group, col], 0.0
                    for j in range(GEMV_CHUNK):
                        kk = c * GEMV_CHUNK + j
                        if z is None:
                            local += q[kk, col] * a[r, kk]
                            sq += (sc * local) ** 2
                        else:
                            w = q[kk, col] * sc + z[kk // group, col]
                            acc += w * a[r, kk]
                            sq += acc**2 + (a[r, kk] * w) ** 2
                    if z is None:
                        acc += sc * local
                        sq += acc**2
            out[r, col] = abs(alpha) * np.sqrt(sq)
    return out


@pytest.mark.parametrize("quant_op", ["scale_only", "scale_zeros"])
def test_vectorised_g_equals_the_chains_written_out(rng: np.random.Generator,
                                                    quant_op: str) -> None:
    case = fresh_case(rng, m=2, n=8, k=4160, group_size=64, dtype="fp16", quant_op=quant_op,
                      alpha=-0.75, has_bias=False)
    a, s = case.value("activations"), case.value("scales")
    z = case.value("zeros")
    got = gemv_chain_scale(a, case.weights, s, z, 64, -0.75).numpy()
    want = _g_by_loops(a.astype(np.float64), case.weights.astype(np.float64),
                       s.astype(np.float64), None if z is None else z.astype(np.float64), 64, -0.75)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert torch.isfinite(torch.from_numpy(got)).all()
