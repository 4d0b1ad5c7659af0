"""Where the whole series stands against the three speed targets, from this folder's bench runs.

    python3 targets.py            # prints the three tables of README.md

Rows at M <= 16 come from bench/ (every tactic, the bench's order); rows at M = 32 and 64 from
settled_small_m/, at M = 128 to 512 from settled_mid_m/ and at M >= 1024 from settled_large_m/
(every kernel settled 1000 ms), which replace the unsettled bench/ rows at 32 to 512. "Ours" is
the fastest TensorRT-LLM tactic timed (the CUDA-core GEMV included), "Machete" the fastest of its
schedules timed and its heuristic's pick, both from the same run as ours.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = {"bench": range(1, 17), "settled_small_m": range(32, 65),
        "settled_mid_m": range(128, 513), "settled_large_m": range(1024, 8193)}


def rows() -> dict[tuple[str, int], dict]:
    """(shape, M) -> {ours_us, ours, cublas_us, machete_us, machete, floor_pct, run}."""
    out = {}
    for run, ms in RUNS.items():
        doc = json.loads(gzip.decompress((HERE / run / "bench.json.gz").read_bytes()))
        for p in doc["problems"]:
            if p["m"] not in ms:
                continue
            a = p["analysis"]
            peers = [t for t in p.get("peers", []) if t["status"] == "ok"]
            best_peer = min(peers, key=lambda t: t["median_us"])
            out[p["label"], p["m"]] = {
                "ours_us": a["best_us"], "ours": a["best_tactic"], "cublas_us": a["cublas_us"],
                "machete_us": best_peer["median_us"], "machete": best_peer["tactic"],
                "floor_pct": 100 * a["fraction_of_floor_best"], "run": run}
    return out


def main() -> None:
    table = rows()
    shapes = sorted({s for s, _ in table}, key=lambda s: (s.split("/")[0] != "llama3-8b", s))

    print("## M <= 16: speedup over cuBLAS fp16 (target 2.5x) and % of the memory floor "
          "(target 70%)\n")
    print("| shape | M = 1 | 2 | 3 | 4 | 8 | 16 | rows meeting both |")
    print("| --- | --- | --- | --- | --- | --- | --- | ---: |")
    for s in shapes:
        cells, met = [], 0
        for m in (1, 2, 3, 4, 5, 6, 8, 12, 16):
            r = table[s, m]
            x = r["cublas_us"] / r["ours_us"]
            met += x >= 2.5 and r["floor_pct"] >= 70
            if m in (1, 2, 3, 4, 8, 16):
                cells.append(f"{x:.2f}x {r['floor_pct']:.1f}%")
        print(f"| {s} | " + " | ".join(cells) + f" | {met} of 9 |")

    print("\n## Every M: ours against Machete's best (target: at least as fast)\n")
    print("| M | rows at least as fast | ours / Machete (Machete's time over ours) | timing |")
    print("| ---: | ---: | --- | --- |")
    by_m: dict[int, list[float]] = defaultdict(list)
    run_of: dict[int, str] = {}
    for (_, m), r in table.items():
        by_m[m].append(r["machete_us"] / r["ours_us"])
        run_of[m] = "settled 1000 ms" if r["run"] != "bench" else "bench order"
    for m in sorted(by_m):
        v = by_m[m]
        print(f"| {m} | {sum(x >= 1 for x in v)} of {len(v)} | {min(v):.3f}x to {max(v):.3f}x "
              f"| {run_of[m]} |")

    print("\n## M >= 1024: ours against cuBLAS fp16 (target 0.95x at M >= 2048), settled\n")
    print("| shape | M = 1024 | 2048 | 4096 |")
    print("| --- | --- | --- | --- |")
    for s in shapes:
        cells = [f"{table[s, m]['cublas_us'] / table[s, m]['ours_us']:.3f}x"
                 for m in (1024, 2048, 4096)]
        print(f"| {s} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
