"""Tables of the raster-order runs: the fastest tile's time before over after in the two runs of
the rule "along M for every problem" (opposite order) and in the run of fix 0017 as committed
(along M where 4m > n), with fp16 and with bf16 activations. Ours beside Machete is in the bench's
own report of that run (`after_before/peers/report.md`).

Usage, from the repository root:
    PYTHONPATH=scripts python3 reports/h200/speed/raster_order/raster_table.py \
        > reports/h200/speed/raster_order/raster_table.md
"""
import json
from pathlib import Path

from w4a16.bench.shapes import MODELS

HERE = Path(__file__).resolve().parent
# The two runs of the first rule: raster along M for every problem ("after").
RUNS = {"run 1 (before, then after)": HERE / "before_after" / "variants" / "summary.json",
        "run 2 (after, then before)": HERE / "after_before" / "variants" / "summary.json"}
COMMITTED = HERE / "committed" / "variants" / "summary.json"
BF16 = HERE / "bf16" / "variants" / "summary.json"
N = {f"{model}/{layer}": n for model, layers in MODELS.items() for layer, n, _ in layers}


def fastest(summary: Path) -> dict[tuple[str, int, str], float]:
    """Best median per (shape, M, variant): the fastest of the tiles the run timed."""
    return {(b["label"], b["m"], b["variant"]): b["median_us"]
            for b in json.loads(summary.read_text())["best"]}


def along_m(m: int, n: int) -> bool:
    """Fix 0017's condition for fp16 activations and int4 weights: m x 16 bits > n x 4 bits."""
    return m * 16 > n * 4


def ratio_table(best: dict[str, dict[tuple[str, int, str], float]], after: str) -> None:
    """One row per shape, one column per M: before over `after` in each run, '/'-separated."""
    labels = sorted({k[0] for b in best.values() for k in b},
                    key=lambda s: (s.split("/")[0], N[s], s))
    ms = sorted({k[1] for b in best.values() for k in b})
    print("| shape | n | " + " | ".join(f"M = {m}" for m in ms) + " |")
    print("| --- | ---: |" + " --- |" * len(ms))
    for s in labels:
        cells = []
        for m in ms:
            ratios = [b[(s, m, "before")] / b[(s, m, after)] for b in best.values()]
            star = "*" if along_m(m, N[s]) else ""
            cells.append(" / ".join(f"{r:.3f}" for r in ratios) + star)
        print(f"| {s} | {N[s]} | " + " | ".join(cells) + " |")
    print()


def rule_tables() -> None:
    print("## Raster along M for every problem: before over after (speedup of the fastest tile)\n")
    print("Tiles 128x256, 256x128 and 128x128 at cluster 1. Each cell: run 1 / run 2. A star marks "
          "the problems fix 0017 as committed rasters along M (4m > n); it leaves the others in "
          "CUTLASS's order, the \"before\" times.\n")
    ratio_table({name: fastest(path) for name, path in RUNS.items()}, "after")
    print("## Fix 0017 as committed: before over after (`committed/`, one run, before first)\n")
    print("Tiles 128x256 and 256x128 at cluster 1. A star marks the problems the committed code "
          "rasters along M; in the others both builds run the same order, so their spread is the "
          "run's noise.\n")
    ratio_table({"committed": fastest(COMMITTED)}, "committed")
    print("## Fix 0017 as committed, bf16 activations: before over after (`bf16/`, one run, "
          "before first)\n")
    print("Tile 128x256 at clusters 1x1 and 2x1. Stars as above.\n")
    ratio_table({"bf16": fastest(BF16)}, "after")


if __name__ == "__main__":
    rule_tables()
