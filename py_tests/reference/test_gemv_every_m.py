"""TensorRT-LLM's CUDA-core GEMV against the float64 torch reference at every M it has a kernel for.

The GEMV's dispatcher instantiates one kernel per token count, M = 1 to 15, each with its own
register tiling and its own reduction of CtaM x CtaN partial sums per warp; the pairwise cases of
test_torch_reference.py reach only a few of them. Here each M gets one case that runs the GEMV
alone, with the GEMV's error model. The other parameters cycle with M so that every activation
type, quant op, group size and bias setting meets several kernels, and K = 8192 makes every
thread walk two rounds of loads. Needs an SM90 GPU and the built binaries.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from w4a16.casefiles import CaseSpec, random_case, run_case, write_case
from w4a16.tactics import GEMV_TACTIC

from .support import judge_tactic, seed_for, sm90_skip_reason, tool_or_skip

pytestmark = pytest.mark.gpu

# TensorRT-LLM's GEMV dispatcher has kernels for M = 1..15 (it throws beyond).
GEMV_MS = tuple(range(1, 16))
# N = 2048 is at most 512 CTAs of 8 columns, so M = 1 also takes fix 0007's 4-column grid.
N, K = 2048, 8192


def gemv_spec(m: int) -> CaseSpec:
    """The case of M: dtype alternates with M, quant op every 2, group every 4, bias every 3."""
    return CaseSpec(m=m, n=N, k=K, group_size=(128, 64)[(m // 4) % 2],
                    dtype=("fp16", "bf16")[m % 2],
                    quant_op=("scale_only", "scale_zeros")[(m // 2) % 2],
                    alpha=0.5 if m % 5 == 0 else 1.0, has_bias=m % 3 == 0,
                    tactics=(GEMV_TACTIC,))  # fmt: skip


def test_cases_cover_every_setting() -> None:
    specs = [gemv_spec(m) for m in GEMV_MS]
    for attr in ("dtype", "quant_op", "group_size", "has_bias"):
        assert len({getattr(s, attr) for s in specs}) == 2, attr


@pytest.mark.parametrize("m", GEMV_MS)
def test_gemv_matches_reference(
    tmp_path: Path, record_property: Callable[[str, object], None], m: int
) -> None:
    reason = sm90_skip_reason()
    if reason:
        pytest.skip(reason)
    spec = gemv_spec(m)
    record_property("case", spec.label)
    case = random_case(spec, seed=seed_for(f"gemv_every_m_{spec.label}"))
    write_case(tmp_path, case)
    result = run_case(tool_or_skip(), tmp_path, timeout_s=300)
    kind, why, check = judge_tactic(result, spec, GEMV_TACTIC,
                                    lambda tactic: case.reference_for(tactic, device="cuda"))
    if check is not None:
        record_property("rel_error", check.rel_error)
        record_property("max_violation", check.max_violation)
    if kind == "skip":
        pytest.skip(why)
    assert kind == "pass", f"on {spec.label}: {why}"
