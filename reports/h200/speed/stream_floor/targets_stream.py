"""The decode targets (M <= 16) against the memory floor and the stream floor, from this folder's
two settled sweeps (the same kernels; the stream kernel of `settled/` is the 28-register one).

    python3 targets_stream.py      # prints targets_stream.md

"Ours" is the fastest TensorRT-LLM kernel timed (the CUDA-core GEMV included). The 70% target
sets a time, floor / 0.70; where the stream floor is slower than that time, no kernel that moves
the problem's bytes can meet the target in this method.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FINAL = HERE / "settled" / "bench.json.gz"
FIRST = HERE / "first_kernel" / "settled" / "bench.json.gz"
MS = (1, 2, 3, 4, 8, 16)
SPEEDUP, FLOOR = 2.5, 0.70


def rows(path: Path) -> dict[tuple[str, int], dict]:
    out = {}
    for p in json.loads(gzip.decompress(path.read_bytes()))["problems"]:
        a = p["analysis"]
        out[p["label"], p["m"]] = {
            "best_us": a["best_us"], "best": a["best_tactic"], "cublas_us": a["cublas_us"],
            "floor_us": a["memory_floor_us"], "stream_us": a["stream_us"],
            "bytes": a["bytes"]}
    return out


def met(r: dict) -> bool:
    return r["cublas_us"] / r["best_us"] >= SPEEDUP and r["floor_us"] / r["best_us"] >= FLOOR


def print_fastest(rows: dict[tuple[str, int], dict], shapes: list[str]) -> None:
    """The table of the fastest kernel per shape and M."""
    print("| shape | " + " | ".join(f"M = {m}" for m in MS) + " |")
    print("| --- | " + " | ".join("---" for _ in MS) + " |")
    for s in shapes:
        print(f"| {s} | " + " | ".join(rows[s, m]["best"].replace("_cluster", " c")
                                        .replace("x1x1_", " ") for m in MS) + " |")


def main() -> None:
    final, first = rows(FINAL), rows(FIRST)
    shapes = sorted({s for s, _ in final}, key=lambda s: (s.split("/")[0] != "llama3-8b", s))
    print("## The stream floor of each shape (M = 1)\n")
    print("| shape | bytes | memory floor us | stream floor us | stream / memory floor | "
          "time the 70% target sets | reachable by a kernel that only moves the bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for s in shapes:
        r = final[s, 1]
        target = r["floor_us"] / FLOOR
        print(f"| {s} | {r['bytes'] / 1e6:.1f} MB | {r['floor_us']:.2f} | {r['stream_us']:.2f} | "
              f"{r['floor_us'] / r['stream_us']:.0%} | {target:.2f} | "
              f"{'yes' if r['stream_us'] <= target else 'no'} |")
    print("\n## M <= 16: speedup over cuBLAS fp16 / % of the memory floor / "
          "% of the stream floor\n")
    print("Each cell: the final sweep (`settled/`); in brackets the first sweep "
          "(`first_kernel/settled/`), same kernels, whose speedup and % of floor differ by the "
          "run-to-run spread. A star marks a row meeting both targets (2.5x and 70%).\n")
    print("| shape | " + " | ".join(f"M = {m}" for m in MS) + " |")
    print("| --- | " + " | ".join("---" for _ in MS) + " |")
    for s in shapes:
        cells = []
        for m in MS:
            r, b = final[s, m], first[s, m]
            cells.append(
                f"{r['cublas_us'] / r['best_us']:.2f}x {r['floor_us'] / r['best_us']:.0%} "
                f"{r['stream_us'] / r['best_us']:.0%}{'*' if met(r) else ''} "
                f"({b['cublas_us'] / b['best_us']:.2f}x {b['floor_us'] / b['best_us']:.0%}"
                f"{'*' if met(b) else ''})")
        print(f"| {s} | " + " | ".join(cells) + " |")
    n_final = sum(met(r) for r in final.values())
    n_first = sum(met(r) for r in first.values())
    both = sum(met(final[k]) and met(first[k]) for k in final)
    print(f"\nBoth targets: {n_final} of {len(final)} rows in the final sweep, {n_first} of "
          f"{len(first)} in the first, {both} in both.\n")
    print("## The fastest kernel, final sweep\n")
    print_fastest(final, shapes)
    spread = [final[k]["best_us"] / first[k]["best_us"] for k in final
              if final[k]["best"] == first[k]["best"]]
    print(f"\nWhere both sweeps picked the same kernel ({len(spread)} rows), its time in the "
          f"final sweep over the first: {min(spread):.3f}x to {max(spread):.3f}x.")


if __name__ == "__main__":
    main()
