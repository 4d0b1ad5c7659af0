"""How much the two settled sweeps' leases differ on what fix 0016 does not change: each kernel's
time in `settled/` (series up to 0016) over its time in `../stream_floor/settled/` (series up to
0015), per shape at M = 1 to 16, with fix 0003's K split of the tactic.

    PYTHONPATH=scripts python3 lease_spread.py      # prints lease_spread.md
"""

from __future__ import annotations

import statistics
from pathlib import Path

from one_pass_table import SHAPES, decomposition
from w4a16.bench.report import read_json

HERE = Path(__file__).resolve().parent
AFTER = HERE / "settled" / "bench.json.gz"
BEFORE = HERE.parent / "stream_floor" / "settled" / "bench.json.gz"


def times(path: Path) -> dict[tuple[str, int, str], float]:
    out = {}
    for p in read_json(path)["problems"]:
        for t in p["tactics"]:
            if t["status"] == "ok":
                out[p["label"], p["m"], t["tactic"]] = t["median_us"]
        out[p["label"], p["m"], "stream floor"] = p["stream"]["median_us"]
        out[p["label"], p["m"], "cuBLAS fp16"] = p["cublas"]["median_us"]
    return out


def main() -> None:
    after, before = times(AFTER), times(BEFORE)
    kernels = sorted({(s, t) for s, _, t in after})
    print("| shape | kernel | fix 0003's K split | after / before, M = 1 to 16 (median, range) |")
    print("| --- | --- | --- | --- |")
    for shape, kernel in kernels:
        ratios = [after[k] / before[k] for k in after if k[0] == shape and k[2] == kernel
                  and k in before]
        split = (decomposition(kernel, *SHAPES[shape]) if kernel.startswith("tile") else "")
        name = kernel.split("_")[0] if kernel.startswith("tile") else kernel
        print(f"| {shape} | {name} | {split} | {statistics.median(ratios):.3f}x "
              f"({min(ratios):.3f}x to {max(ratios):.3f}x) |")


if __name__ == "__main__":
    main()
