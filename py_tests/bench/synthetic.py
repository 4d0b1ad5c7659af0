"""A small, hand-made measurement set: what a sweep's bench.json holds, with known answers.

Each builder writes the JSON a sweep writes and reads it back into the bench's types, so the
set goes through the same reader as a bench.json on disk.
"""

from __future__ import annotations

import copy

from w4a16.bench.problem import JsonObject, ProblemResult, TacticResult
from w4a16.bench.report import BenchDoc
from w4a16.bench.roofline import Machine

# Rates chosen so floors are easy to compute by hand.
MACHINE_JSON: JsonObject = {
    "copy_bytes": 1 << 30,
    "copy_median_us": 1073.741824,
    "copy_bandwidth_bytes_per_s": 2.0e12,
    "matmul_size": 8192,
    "matmul_median_us": {"fp16": 2199.0, "bf16": 2199.0},
    "matmul_flops_per_s": {"fp16": 5.0e14, "bf16": 4.0e14},
}
MACHINE = Machine.from_json(MACHINE_JSON)

DEFAULT = "tile64x16x64_cluster1x1x1_pingpong"
FAST = "tile128x16x64_cluster2x1x1_coop"
BROKEN = "tile128x32x64_cluster1x1x1_coop"
ABSENT = "tile64x32x64_cluster1x1x1_pingpong"
UNAVAILABLE = "estimate_best_config_from_occupancies threw: [get_grid_shape_for_config] Invalid"


def tactic_json(index: int, name: str, median: float | None,
                status: str = "ok") -> JsonObject:
    t: JsonObject = {"config_index": index, "tactic": name, "status": status,
                     "message": "", "occupancy": 1}
    if median is not None:
        t.update(median_us=median, min_us=median * 0.98, p90_us=median * 1.03,
                 mean_us=median, samples=20, launches_per_sample=8, copies=8)
    return t


def tactic(index: int, name: str, median: float | None, status: str = "ok") -> TacticResult:
    return TacticResult.from_json(tactic_json(index, name, median, status))


def problem_json(model: str, layer: str, n: int, k: int, m: int, dtype: str, default_us: float,
                 fast_us: float, cublas_us: float | None) -> JsonObject:
    return {
        "model": model, "layer": layer, "label": f"{model}/{layer}", "m": m, "n": n, "k": k,
        "group": 128, "dtype": dtype, "quant": "scale_only", "copies": 8,
        "default_tactic": DEFAULT,
        "trtllm_estimate": {"status": "unavailable", "reason": UNAVAILABLE},
        "tactics": [
            tactic_json(0, DEFAULT, default_us),
            tactic_json(1, ABSENT, None, "not_compiled"),
            tactic_json(2, FAST, fast_us),
            tactic_json(3, BROKEN, None, "error"),
        ],
        "cublas": ({"status": "ok", "median_us": cublas_us} if cublas_us is not None
                   else {"status": "error", "reason": "RuntimeError: out of memory"}),
        "int4pack": ({"status": "ok", "median_us": 30.0} if dtype == "bf16" else
                     {"status": "unavailable", "reason": "RuntimeError: needs bfloat16"}),
        "stream": ({"status": "ok", "median_us": 20.0, "bytes": 1} if dtype == "fp16" else
                   {"status": "wrong_sum", "reason": "block sums differ"}),
    }


def problem(model: str, layer: str, n: int, k: int, m: int, dtype: str, default_us: float,
            fast_us: float, cublas_us: float | None) -> ProblemResult:
    return ProblemResult.from_json(problem_json(model, layer, n, k, m, dtype, default_us,
                                                fast_us, cublas_us))


def doc_json() -> JsonObject:
    """Two shapes x two M x two dtypes. On M=1 the default wins; on M=256 FAST wins."""
    problems = []
    for dtype in ("fp16", "bf16"):
        for model, layer, n, k in (("llama3-8b", "o", 4096, 4096),
                                   ("llama3-8b", "down", 4096, 14336)):
            problems.append(problem_json(model, layer, n, k, 1, dtype, 8.0, 9.0, 20.0))
            problems.append(problem_json(model, layer, n, k, 256, dtype, 40.0, 25.0, 50.0))
    problems[-1]["cublas"] = {"status": "error", "reason": "RuntimeError: out of memory"}
    problems[0]["tactics"][3]["message"] = "can_implement failed"  # type: ignore[index]
    return copy.deepcopy({
        "version": 1, "tool": "w4a16 bench", "command": "w4a16 bench --out x",
        "started": "2026-11-22T08:00:00+00:00", "seconds": 123.0,
        "settings": {"group": 128, "quant": "scale_only", "plan": {"budget_ms": 15}},
        "device": {"name": "NVIDIA H100 80GB HBM3", "l2_bytes": 52428800, "torch": "2.11.0"},
        "machine": MACHINE_JSON, "problems": problems, "errors": [],
    })


def doc() -> BenchDoc:
    """doc_json() read as bench.json is read."""
    return BenchDoc.from_json(doc_json())
