"""The decode targets (M <= 16) with the series up to fix 0016, settled (`settled/`), beside the
final settled sweep of the series up to 0015 in `../stream_floor/` (another lease, same method).

    python3 targets_one_pass.py      # prints targets_one_pass.md

Rows and targets as `../stream_floor/targets_stream.py` reads them; that script's readers and
its fastest-kernel table are used here, so both tables count a row the same way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "targets_stream", HERE.parent / "stream_floor" / "targets_stream.py")
targets_stream = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(targets_stream)
rows, met, MS = targets_stream.rows, targets_stream.met, targets_stream.MS

AFTER = HERE / "settled" / "bench.json.gz"
BEFORE = targets_stream.FINAL


def main() -> None:
    after, before = rows(AFTER), rows(BEFORE)
    shapes = sorted({s for s, _ in after}, key=lambda s: (s.split("/")[0] != "llama3-8b", s))
    print("## M <= 16 with fix 0016: speedup over cuBLAS fp16 / % of the memory floor / "
          "% of the stream floor\n")
    print("Each cell: this folder's settled sweep (series up to 0016); in brackets the fastest "
          "kernel's time there over its time in `../stream_floor/settled/` (series up to 0015, "
          "another lease). A star marks a row meeting both targets (2.5x and 70%).\n")
    print("| shape | " + " | ".join(f"M = {m}" for m in MS) + " |")
    print("| --- | " + " | ".join("---" for _ in MS) + " |")
    for s in shapes:
        cells = []
        for m in MS:
            r, b = after[s, m], before[s, m]
            cells.append(
                f"{r['cublas_us'] / r['best_us']:.2f}x {r['floor_us'] / r['best_us']:.0%} "
                f"{r['stream_us'] / r['best_us']:.0%}{'*' if met(r) else ''} "
                f"({r['best_us'] / b['best_us']:.3f}x)")
        print(f"| {s} | " + " | ".join(cells) + " |")
    n_after, n_before = sum(met(r) for r in after.values()), sum(met(r) for r in before.values())
    print(f"\nBoth targets: {n_after} of {len(after)} rows with 0016, {n_before} of "
          f"{len(before)} in `../stream_floor/settled/`.\n")
    print("## The fastest kernel with fix 0016\n")
    targets_stream.print_fastest(after, shapes)


if __name__ == "__main__":
    main()
