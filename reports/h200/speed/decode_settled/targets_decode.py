"""The decode targets (M <= 16) from this folder's settled run, beside the bench-order rows of
../whole_series/ (the series without fix 0011, not settled).

    python3 targets_decode.py      # prints targets_decode.md

"Ours" is the fastest TensorRT-LLM kernel timed (the CUDA-core GEMV included), "Machete" the
faster of its two schedules timed, cuBLAS fp16 from the same run.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETTLED = HERE / "settled" / "bench.json.gz"
BENCH_ORDER = HERE.parent / "whole_series" / "bench" / "bench.json.gz"
MS = (1, 2, 3, 4, 8, 16)


def rows(path: Path) -> dict[tuple[str, int], dict]:
    """(shape, M) -> ours_us, ours, cublas_us, floor_pct, machete_us (None if not timed)."""
    out = {}
    for p in json.loads(gzip.decompress(path.read_bytes()))["problems"]:
        if p["m"] not in MS:
            continue
        a = p["analysis"]
        peers = [t["median_us"] for t in p.get("peers", []) if t["status"] == "ok"]
        out[p["label"], p["m"]] = {
            "ours_us": a["best_us"], "ours": a["best_tactic"], "cublas_us": a["cublas_us"],
            "floor_pct": 100 * a["fraction_of_floor_best"],
            "machete_us": min(peers) if peers else None}
    return out


def main() -> None:
    now, before = rows(SETTLED), rows(BENCH_ORDER)
    shapes = sorted({s for s, _ in now}, key=lambda s: (s.split("/")[0] != "llama3-8b", s))
    print("## M <= 16, settled: speedup over cuBLAS fp16 (target 2.5x) and % of the memory floor "
          "(target 70%)\n")
    print("Each cell: settled, with fix 0011 / in brackets the bench-order row of ../whole_series/ "
          "(fixes 0002 to 0010).\n")
    print("| shape | " + " | ".join(f"M = {m}" for m in MS) + " | rows meeting both |")
    print("| --- | " + " | ".join("---" for _ in MS) + " | ---: |")
    total = 0
    for s in shapes:
        cells, met = [], 0
        for m in MS:
            r, b = now[s, m], before[s, m]
            x, xb = r["cublas_us"] / r["ours_us"], b["cublas_us"] / b["ours_us"]
            met += x >= 2.5 and r["floor_pct"] >= 70
            cells.append(f"{x:.2f}x {r['floor_pct']:.0f}% ({xb:.2f}x {b['floor_pct']:.0f}%)")
        total += met
        print(f"| {s} | " + " | ".join(cells) + f" | {met} of {len(MS)} |")
    print(f"\nBoth targets on {total} of {len(now)} rows.\n")
    print("## Which kernel is fastest, settled\n")
    print("| shape | " + " | ".join(f"M = {m}" for m in MS) + " |")
    print("| --- | " + " | ".join("---" for _ in MS) + " |")
    for s in shapes:
        print(f"| {s} | " + " | ".join(now[s, m]["ours"].replace("_cluster", " c")
                                        .replace("x1x1_", " ") for m in MS) + " |")
    print("\n## Ours against Machete's faster schedule, settled (target: at least as fast)\n")
    print("| M | rows at least as fast | Machete's time over ours |")
    print("| ---: | ---: | --- |")
    for m in MS:
        v = [now[s, m]["machete_us"] / now[s, m]["ours_us"] for s in shapes]
        print(f"| {m} | {sum(x >= 1 for x in v)} of {len(v)} | {min(v):.3f}x to {max(v):.3f}x |")


if __name__ == "__main__":
    main()
