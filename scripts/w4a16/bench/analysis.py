"""Derived numbers of one problem: roofline floor, fraction of it reached, speedup over cuBLAS,
and the heuristic audit. Pure: the inputs are the measurement records and the machine's rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from w4a16.bench import ranking, roofline


def problem_name(problem: Mapping[str, Any]) -> str:
    return f"{problem['label']} {problem['dtype']} M={problem['m']}"


def _ok_us(baseline: Mapping[str, Any] | None) -> float | None:
    if baseline and baseline.get("status") == "ok":
        return float(baseline["median_us"])
    return None


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


def analyse(problem: Mapping[str, Any], machine: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report shows for one problem, from its records and the machine."""
    m, n, k, g = (int(problem[x]) for x in ("m", "n", "k", "group"))
    dtype = problem["dtype"]
    bandwidth = float(machine["copy_bandwidth_bytes_per_s"])
    rate = float(machine["matmul_flops_per_s"][dtype])
    flops = roofline.gemm_flops(m, n, k)

    out = ranking.audit(problem)
    out["problem"] = problem_name(problem)
    per_tile = ranking.best_per_tile(problem.get("tactics", []))
    out["best_per_tile"] = {tile: {"tactic": t["tactic"], "median_us": t["median_us"]}
                            for tile, t in per_tile.items()}
    nbytes = roofline.w4a16_bytes(m, n, k, g, problem.get("quant", "scale_only"))
    fl = roofline.floor(nbytes, flops, bandwidth, rate)
    out.update(bytes=nbytes, flops=flops, floor_us=fl.us, memory_floor_us=fl.memory_s * 1e6,
               compute_floor_us=fl.compute_s * 1e6, bound=fl.bound)
    out["fraction_of_floor_best"] = roofline.fraction_of_floor(fl.us, out["best_us"])
    out["fraction_of_floor_default"] = roofline.fraction_of_floor(fl.us, out["default_us"])

    cublas_us = _ok_us(problem.get("cublas"))
    dense = roofline.floor(roofline.dense_bytes(m, n, k), flops, bandwidth, rate)
    out.update(cublas_us=cublas_us, cublas_floor_us=dense.us,
               cublas_fraction_of_floor=roofline.fraction_of_floor(dense.us, cublas_us),
               cublas_fraction_of_w4a16_floor=roofline.fraction_of_floor(fl.us, cublas_us),
               speedup_best_vs_cublas=_ratio(cublas_us, out["best_us"]),
               speedup_default_vs_cublas=_ratio(cublas_us, out["default_us"]))

    int4_us = _ok_us(problem.get("int4pack"))
    int4_floor = roofline.floor(roofline.int4pack_bytes(m, n, k, g), flops, bandwidth, rate)
    out.update(int4pack_us=int4_us,
               int4pack_fraction_of_floor=roofline.fraction_of_floor(int4_floor.us, int4_us),
               speedup_int4pack_vs_cublas=_ratio(cublas_us, int4_us),
               speedup_best_vs_int4pack=_ratio(int4_us, out["best_us"]))
    return out
