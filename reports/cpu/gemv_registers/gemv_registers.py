"""The CUDA-core GEMV's registers, resident CTAs and loop size per token count, beside its
settled times.

    python3 gemv_registers.py      # prints gemv_registers.md

Registers: `res_usage.txt` (cuobjdump -res-usage of the bench binary, fp16 scale-only group 128,
one kernel per M with 8 columns per CTA, plus the 4-column kernel fix 0007 runs at one token on
small N). Resident CTAs per SM follow from the registers alone: each warp's registers are
allocated in units of 256, an SM has 65536, a CTA has 128 threads (4 warps), and at most 16 such
CTAs fit by threads. Loop sizes: `loop_sizes.txt` (`loop_sizes.py`). Times: the settled sweep
of ../../h200/speed/stream_floor/settled/.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SWEEP = HERE.parents[1] / "h200" / "speed" / "stream_floor" / "settled" / "bench.json.gz"
KERNEL = re.compile(r"ELi64EEELi(\d+)ELi(\d+)ELi128ELi128ELb0ELb0ELb0ELb0E6__half")
REGS = re.compile(r"REG:(\d+).*LOCAL:(\d+)")
SM_REGS, UNIT, WARPS, MAX_CTAS = 65536, 256, 4, 16


def registers() -> dict[tuple[int, int], tuple[int, int]]:
    """(M, columns per CTA) -> (registers a thread, local memory bytes)."""
    out, key = {}, None
    for line in (HERE / "res_usage.txt").read_text().splitlines():
        if m := KERNEL.search(line):
            key = (int(m.group(1)), int(m.group(2)))
        elif key and (r := REGS.search(line)):
            out[key] = (int(r.group(1)), int(r.group(2)))
            key = None
    return out


def loop_sizes() -> dict[tuple[int, int], int]:
    """(M, columns per CTA) -> instructions in one iteration of the main loop."""
    rows = (HERE / "loop_sizes.txt").read_text().splitlines()[1:]
    return {(int(f[0]), int(f[1])): int(f[2]) for f in (r.split() for r in rows)}


def ctas_per_sm(regs: int) -> int:
    per_warp = -(-regs * 32 // UNIT) * UNIT
    return min(SM_REGS // (per_warp * WARPS), MAX_CTAS)


def gemv_times() -> dict[tuple[str, int], tuple[float, float]]:
    """(shape, M) -> (GEMV median us, stream floor us)."""
    out = {}
    for p in json.loads(gzip.decompress(SWEEP.read_bytes()))["problems"]:
        gemv = next((t for t in p["tactics"] if t["tactic"] == "cuda_core_gemv"
                     and t["status"] == "ok"), None)
        if gemv:
            out[p["label"], p["m"]] = (gemv["median_us"], p["stream"]["median_us"])
    return out


def main() -> None:
    regs, loops = registers(), loop_sizes()
    base_loop = loops[1, 8]
    print("## The GEMV kernels (fp16, scale-only, group 128)\n")
    print("| M | columns per CTA | registers a thread | local memory | CTAs per SM | "
          "threads per SM | loop instructions | per weight | over M = 1 |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (m, cols), (r, local) in sorted(regs.items()):
        c, body = ctas_per_sm(r), loops[m, cols]
        print(f"| {m} | {cols} | {r} | {local} | {c} | {c * 128} | {body} | "
              f"{body / (cols * 32):.2f} | {body / base_loop * 8 / cols:.2f}x |")
    times = gemv_times()
    shapes = sorted({s for s, _ in times}, key=lambda s: (s.split("/")[0] != "llama3-8b", s))
    ms = sorted({m for _, m in times})
    print("\n## The GEMV's settled time over its time at M = 1, and its share of the "
          "stream floor\n")
    print("| shape | " + " | ".join(f"M = {m}" for m in ms) + " |")
    print("| --- | " + " | ".join("---" for _ in ms) + " |")
    for s in shapes:
        base = times[s, 1][0]
        cells = [f"{times[s, m][0] / base:.2f}x, {times[s, m][1] / times[s, m][0]:.0%}"
                 for m in ms]
        print(f"| {s} | " + " | ".join(cells) + " |")
    print("| loop instructions over M = 1 | " +
          " | ".join(f"{loops[m, 8] / base_loop:.2f}x" for m in ms) + " |")


if __name__ == "__main__":
    main()
