"""Stands in for w4a16SM90Bench in the sweep tests: same flags, same JSON-line records.

Times are a simple function of M (config 0 wins for M < 64, config 2 from there on). With
FAKE_BENCH_FAIL_AT=M it exits with status 3 after the problem record of that M, as the real
binary does after a CUDA error that leaves the device unusable. FAKE_BENCH_GEMV=1 adds the
CUDA-core GEMV as the last candidate (timed for M <= 15, fastest of all, skipped above), as a
binary built from a full TensorRT-LLM tree reports it. FAKE_BENCH_SLEEP=S waits S seconds per
problem, so jobs overlap in the multi-GPU tests. The device record carries the
CUDA_VISIBLE_DEVICES the process saw (`visible_devices`). Each problem ends with its stream
record, as the real binary's does (`stream_us`: 4 us plus 1 us per 16 tokens).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

TACTICS = ("tile64x16x64_cluster1x1x1_pingpong", "tile64x32x64_cluster1x1x1_pingpong",
           "tile128x16x64_cluster2x1x1_coop")
GEMV = "cuda_core_gemv"
GEMV_MAX_M = 15


def candidates() -> tuple[str, ...]:
    return TACTICS + ((GEMV,) if os.environ.get("FAKE_BENCH_GEMV") == "1" else ())


def times(m: int) -> dict[int, float]:
    """Median per config index; the GEMV (index 3) only where it runs."""
    out = {0: 10.0 + m / 8, 2: 12.0 + m / 32}
    if len(candidates()) > 3 and m <= GEMV_MAX_M:
        out[3] = 5.0 + m / 4
    return out


def stream_us(m: int) -> float:
    return 4.0 + m / 16


def default_tactic(m: int) -> str:
    """TensorRT-LLM's rule, as the real binary applies it."""
    return GEMV if GEMV in candidates() and m < 5 else TACTICS[0]


def add_problem_and_timing_flags(p: argparse.ArgumentParser) -> None:
    """The numeric flags every bench binary takes (w4a16_bench_timing.h), here and in the
    Machete peer's stand-in."""
    for flag in ("--n", "--k", "--group", "--seed", "--min-samples", "--max-samples",
                 "--max-launches", "--warmup"):
        p.add_argument(flag, type=int)
    for flag in ("--budget-ms", "--sample-us", "--l2-factor", "--settle-ms"):
        p.add_argument(flag, type=float)


def main() -> int:
    p = argparse.ArgumentParser()
    add_problem_and_timing_flags(p)
    for flag in ("--m", "--dtype", "--quant", "--label", "--tactics"):
        p.add_argument(flag)
    a = p.parse_args()
    fail_at = int(os.environ.get("FAKE_BENCH_FAIL_AT", "0"))
    pause = float(os.environ.get("FAKE_BENCH_SLEEP", "0"))
    names = candidates()
    print(json.dumps({"record": "device", "name": "Fake H100", "sm_count": 132,
                      "l2_bytes": 52428800,
                      "visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}), flush=True)
    for m in (int(x) for x in a.m.split(",")):
        time.sleep(pause)
        fields = {"label": a.label, "m": m, "n": a.n, "k": a.k, "group": a.group,
                  "dtype": a.dtype, "quant": a.quant}
        print(json.dumps({"record": "problem", **fields, "copies": 4,
                          "default_tactic": default_tactic(m),
                          "occupancies": dict.fromkeys(names, 1),
                          "trtllm_estimate": {"status": "unavailable", "reason": "fake"}}),
              flush=True)
        if m == fail_at:
            print("error: CUDA error left the device unusable", file=sys.stderr)
            return 3
        timed = times(m)
        for i, name in enumerate(names):
            # The real binary's field order: status and message, then the occupancy, then
            # the times of a tactic that ran.
            rec = {"record": "tactic", **fields, "config_index": i, "tactic": name}
            if i in timed:
                rec.update(status="ok", message="", occupancy=1, median_us=timed[i],
                           min_us=timed[i], p90_us=timed[i], mean_us=timed[i], samples=5,
                           launches_per_sample=4, copies=4)
            elif name == GEMV:
                rec.update(status="skipped", message=f"the GEMV runs M 1 to {GEMV_MAX_M}",
                           occupancy=1)
            else:
                rec.update(status="not_compiled", message="not compiled in this build",
                           occupancy=1)
            print(json.dumps(rec), flush=True)
        us = stream_us(m)
        print(json.dumps({"record": "stream", **fields, "status": "ok", "median_us": us,
                          "min_us": us, "p90_us": us, "mean_us": us, "samples": 5,
                          "launches_per_sample": 4, "copies": 4, "bytes": 1, "blocks": 1}),
              flush=True)
        print(f"[fake] M={m} done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
