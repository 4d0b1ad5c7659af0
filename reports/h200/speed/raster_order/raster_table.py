"""Tables of the raster-order runs: the fastest tile's time before over after in the two runs of
the rule "along M for every problem" (opposite order), in the run of fix 0017 as committed
(along M where 4m > n), and our fastest tile beside Machete's best schedule in the same run.

Usage, from this folder:
    python3 raster_table.py > raster_table.md
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The two runs of the first rule: raster along M for every problem ("after").
RUNS = {"run 1 (before, then after)": HERE / "before_after" / "variants" / "summary.json",
        "run 2 (after, then before)": HERE / "after_before" / "variants" / "summary.json"}
COMMITTED = HERE / "committed" / "variants" / "summary.json"


def fastest(summary: Path) -> dict[tuple[str, int, str], float]:
    """Best median per (shape, M, variant): the fastest of the tiles the run timed."""
    return {(b["label"], b["m"], b["variant"]): b["median_us"]
            for b in json.loads(summary.read_text())["best"]}


def along_m(m: int, n: int) -> bool:
    """Fix 0017's condition for fp16 activations and int4 weights: m x 16 bits > n x 4 bits."""
    return m * 16 > n * 4


def shape_n() -> dict[str, int]:
    doc = json.loads((HERE / "after_before" / "peers" / "bench.json").read_text())
    return {p["label"]: p["n"] for p in doc["problems"]}


def ratio_table(best: dict[str, dict[tuple[str, int, str], float]], after: str) -> None:
    """One row per shape, one column per M: before over `after` in each run, '/'-separated."""
    ns = shape_n()
    labels = sorted({k[0] for b in best.values() for k in b},
                    key=lambda s: (s.split("/")[0], ns[s], s))
    ms = sorted({k[1] for b in best.values() for k in b})
    print("| shape | n | " + " | ".join(f"M = {m}" for m in ms) + " |")
    print("| --- | ---: |" + " --- |" * len(ms))
    for s in labels:
        cells = []
        for m in ms:
            ratios = [b[(s, m, "before")] / b[(s, m, after)] for b in best.values()]
            star = "*" if along_m(m, ns[s]) else ""
            cells.append(" / ".join(f"{r:.3f}" for r in ratios) + star)
        print(f"| {s} | {ns[s]} | " + " | ".join(cells) + " |")
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


def machete_table() -> None:
    doc = json.loads((HERE / "after_before" / "peers" / "bench.json").read_text())
    print("## Beside Machete in the same run (`after_before/peers/`)\n")
    print("Ours: the fastest of 128x256 and 256x128 (cluster 1) with the raster-along-M rule as "
          "timed there (along M at every M). Machete: the faster of its 128x256 and 256x128 "
          "schedules (2x1 clusters). Ratio: Machete's time over ours (above 1: ours is faster).\n")
    print("| shape | M | ours (us) | Machete (us) | Machete / ours | cuBLAS fp16 / ours |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for p in doc["problems"]:
        ours = min(t["median_us"] for t in p["tactics"] if t["status"] == "ok")
        peer = min(t["median_us"] for t in p["peers"] if t["status"] == "ok")
        cublas = p["cublas"]["median_us"]
        print(f"| {p['label']} | {p['m']} | {ours:.1f} | {peer:.1f} | {peer / ours:.3f} | "
              f"{cublas / ours:.3f} |")
    print()


if __name__ == "__main__":
    rule_tables()
    machete_table()
