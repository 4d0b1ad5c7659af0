"""Stands in for w4a16SM90Bench in the sweep tests: same flags, same JSON-line records.

Times are a simple function of M (config 0 wins for M < 64, config 2 from there on). With
FAKE_BENCH_FAIL_AT=M it exits with status 3 after the problem record of that M, as the real
binary does after a CUDA error that leaves the device unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

TACTICS = ("tile64x16x64_cluster1x1x1_pingpong", "tile64x32x64_cluster1x1x1_pingpong",
           "tile128x16x64_cluster2x1x1_coop")


def main() -> int:
    p = argparse.ArgumentParser()
    for flag in ("--n", "--k", "--group", "--seed", "--min-samples", "--max-samples",
                 "--max-launches", "--warmup"):
        p.add_argument(flag, type=int)
    for flag in ("--budget-ms", "--sample-us", "--l2-factor"):
        p.add_argument(flag, type=float)
    for flag in ("--m", "--dtype", "--quant", "--label", "--tactics"):
        p.add_argument(flag)
    a = p.parse_args()
    fail_at = int(os.environ.get("FAKE_BENCH_FAIL_AT", "0"))
    print(json.dumps({"record": "device", "name": "Fake H100", "sm_count": 132,
                      "l2_bytes": 52428800}), flush=True)
    for m in (int(x) for x in a.m.split(",")):
        fields = {"label": a.label, "m": m, "n": a.n, "k": a.k, "group": a.group,
                  "dtype": a.dtype, "quant": a.quant}
        print(json.dumps({"record": "problem", **fields, "copies": 4, "default_tactic": TACTICS[0],
                          "occupancies": dict.fromkeys(TACTICS, 1),
                          "trtllm_estimate": {"status": "unavailable", "reason": "fake"}}),
              flush=True)
        if m == fail_at:
            print("error: CUDA error left the device unusable", file=sys.stderr)
            return 3
        times = {0: 10.0 + m / 8, 2: 12.0 + m / 32}
        for i, name in enumerate(TACTICS):
            rec = {"record": "tactic", **fields, "config_index": i, "tactic": name,
                   "occupancy": 1}
            if i in times:
                rec.update(status="ok", message="", median_us=times[i], min_us=times[i],
                           p90_us=times[i], mean_us=times[i], samples=5,
                           launches_per_sample=4, copies=4)
            else:
                rec.update(status="not_compiled", message="not compiled in this build")
            print(json.dumps(rec), flush=True)
        print(f"[fake] M={m} done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
