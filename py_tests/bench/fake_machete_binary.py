"""Stand-in for w4a16MacheteBench: the peer's records for every M, no GPU.

Two schedules and the heuristic's pick; `128x16` takes 10 + M/16 us, `128x64` 20 us, and the
heuristic picks `128x16` below M = 64; --schedules keeps some of the three, --list prints
them as candidates. FAKE_MACHETE_WRONG=M makes `128x64` fail its output
check at that M; FAKE_MACHETE_FAIL=1 exits 2 with a one-line error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

# Run as a script: its folder is first on sys.path, so the bench stand-in imports as a module.
from fake_bench_binary import add_problem_and_timing_flags

SCHEDULES = ("128x16_1x1x1_TmaMI_TmaCoop_streamK", "128x64_2x1x1_TmaMI_TmaCoop_streamK")


def main() -> int:
    p = argparse.ArgumentParser()
    add_problem_and_timing_flags(p)
    p.add_argument("--m")
    p.add_argument("--list", action="store_true")
    p.add_argument("--label", default="")
    p.add_argument("--schedules", default="all")
    args = p.parse_args()
    if os.environ.get("FAKE_MACHETE_FAIL"):
        print("error: no usable SM90 GPU", file=sys.stderr)
        return 2
    if args.list:
        for i, name in enumerate([*SCHEDULES, "heuristic"]):
            tactic = "machete_heuristic" if name == "heuristic" else f"machete_{name}"
            print(json.dumps({"record": "candidate", "config_index": i, "tactic": tactic,
                              "schedule": name, "compiled": {"fp16/scale_only": True}}))
        return 0
    chosen = [s for s in (*SCHEDULES, "heuristic")
              if args.schedules == "all" or {s, f"machete_{s}"} & set(args.schedules.split(","))]
    wrong = int(os.environ.get("FAKE_MACHETE_WRONG", "0"))
    print(json.dumps({"record": "device", "name": "Fake H100", "adapter": "machete"}))
    for m in (int(x) for x in args.m.split(",")):
        fields = {"label": args.label, "m": m, "n": args.n, "k": args.k, "group": args.group,
                  "dtype": "fp16", "quant": "scale_only"}
        pick = SCHEDULES[0] if m < 64 else SCHEDULES[1]
        print(json.dumps({"record": "problem", **fields, "weight_type": "u4b8",
                          "default_tactic": "machete_heuristic", "heuristic_schedule": pick}))
        times = {SCHEDULES[0]: 10.0 + m / 16, SCHEDULES[1]: 20.0}
        for i, (name, us) in enumerate([*times.items(), ("heuristic", times[pick])]):
            if name not in chosen:
                continue
            tactic = f"machete_{name}"
            schedule = pick if name == "heuristic" else name
            rec = {"record": "tactic", **fields, "config_index": i, "tactic": tactic,
                   "schedule": schedule}
            if m == wrong and schedule == SCHEDULES[1]:
                rec.update(status="wrong", message="max error 9.1x its bound")
            else:
                rec.update(status="ok", message="", median_us=us, min_us=us, p90_us=us,
                           mean_us=us, samples=5, launches_per_sample=8, copies=4)
            print(json.dumps(rec), flush=True)
        print(f"[fake machete] M={m} done", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
