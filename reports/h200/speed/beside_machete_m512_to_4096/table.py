"""Tables of the two passes: our fastest tactic against Machete's fastest schedule per problem, in
each pass and over both, and what the 2x1 cluster does to our 128x256 tile in each tile order.

Each kernel's time over both passes is the mean of its two settled medians; "ours" and
"Machete" are then the fastest of their kernels. Fix 0017 rasters our tiles along M where
m x 16 bits > n x 4 bits (4m > n); Machete always runs CUTLASS's heuristic order. `CUTLASS
mode` is how CUTLASS's stream-K scheduler decomposes the 128x256 tile in 2x1 clusters, as
Machete's fastest schedule runs it (`streamk/streamk_plan.json`, from `w4a16 lab streamk --m
512,1024,2048,4096 --tiles 128x256`; Llama shapes only).

Usage, from the repository root:
    PYTHONPATH=scripts python3 reports/h200/speed/beside_machete_m512_to_4096/table.py \
        > reports/h200/speed/beside_machete_m512_to_4096/table.md
"""
import json
import statistics
from pathlib import Path

from w4a16.bench.report import read_json

HERE = Path(__file__).resolve().parent
PASSES = ("pass1", "pass2")
RUNS = ("m512", "large_m", "heldout")
C1, C2 = "tile128x256x64_cluster1x1x1_coop", "tile128x256x64_cluster2x1x1_coop"

Key = tuple[str, int]  # (shape label, M)


def load(pass_name: str) -> dict[Key, dict]:
    """Per problem of one pass: n, our tactics' and Machete's schedules' medians, cuBLAS."""
    out: dict[Key, dict] = {}
    for run in RUNS:
        for p in read_json(HERE / pass_name / run / "bench.json.gz")["problems"]:
            ok = [t for t in p["tactics"] if t["status"] == "ok"]
            peers = [t for t in p.get("peers") or [] if t["status"] == "ok"
                     and t["tactic"] != "machete_heuristic"]
            out[(p["label"], p["m"])] = {
                "n": p["n"],
                "ours": {t["tactic"]: t["median_us"] for t in ok},
                "machete": {t["tactic"]: t["median_us"] for t in peers},
                "cublas": (p["cublas"] or {}).get("median_us"),
            }
    return out


def scheduler_modes() -> dict[Key, str]:
    """CUTLASS's decomposition of the 128x256 tile in 2x1 clusters per (shape, M)."""
    plan = json.loads((HERE / "streamk" / "streamk_plan.json").read_text())
    return {(p["label"], p["m"]): p["mode"].replace("_", "-") for p in plan
            if p["tile"][:2] == [128, 256] and p["cluster"] == [2, 1]}


def along_m(m: int, n: int) -> bool:
    """Fix 0017's condition for fp16 activations and int4 weights."""
    return m * 16 > n * 4


def best(times: dict[str, float]) -> tuple[str, float]:
    name = min(times, key=times.__getitem__)
    return name, times[name]


def mean_times(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {t: (a[t] + b[t]) / 2 for t in a.keys() & b.keys()}


def short(tactic: str) -> str:
    """tile128x256x64_cluster2x1x1_coop -> 128x256 c2x1; machete_128x256_2x1x1_... -> 128x256 2x1"""
    if tactic.startswith("machete_"):
        tile, cluster = tactic.split("_")[1:3]
        return f"{tile} {cluster[:3]}"
    tile, cluster = tactic.removeprefix("tile").split("_")[:2]
    return f"{tile.rsplit('x', 1)[0]} c{cluster.removeprefix('cluster')[:3]}"


def main() -> None:
    runs = [load(p) for p in PASSES]
    keys = sorted(runs[0].keys() & runs[1].keys(),
                  key=lambda k: (k[0].startswith("custom"), k[0], k[1]))
    print("## Ours against Machete, per problem\n")
    print("`pass 1`, `pass 2`: Machete's fastest median over ours (above 1 ours is faster). "
          "`both`: the same from each kernel's mean over the two passes. `order`: the tile order "
          "fix 0017 gives ours. `cuBLAS`: cuBLAS fp16 over ours, both passes.\n")
    print("| shape | M | order | CUTLASS mode | ours (both) | Machete (both) | pass 1 | pass 2 | "
          "both | cuBLAS |")
    print("| --- | ---: | --- | --- | --- | --- | ---: | ---: | ---: | ---: |")
    modes = scheduler_modes()
    by_m: dict[int, list[float]] = {}
    by_mode: dict[str, list[float]] = {}
    for key in keys:
        a, b = runs[0][key], runs[1][key]
        label, m = key
        ratios = [best(r["machete"])[1] / best(r["ours"])[1] for r in (a, b)]
        ours_name, ours_us = best(mean_times(a["ours"], b["ours"]))
        mach_name, mach_us = best(mean_times(a["machete"], b["machete"]))
        both = mach_us / ours_us
        cublas = (a["cublas"] + b["cublas"]) / 2 / ours_us
        by_m.setdefault(m, []).append(both)
        mode = modes.get(key, "-")
        order = "along M" if along_m(m, a["n"]) else "CUTLASS"
        if mode != "-" and ours_name.startswith(("tile128x256", "tile256x128")):
            by_mode.setdefault(f"{order} | {mode}", []).append(both)
        print(f"| {label} | {m} | {order} | {mode} | {short(ours_name)} {ours_us:.1f} | "
              f"{short(mach_name)} {mach_us:.1f} | {ratios[0]:.3f} | {ratios[1]:.3f} | "
              f"{both:.3f} | {cublas:.3f} |")
    print("\n| M | problems | ours at least as fast (both) | within 2% | median | min | max |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in sorted(by_m):
        r = by_m[m]
        print(f"| {m} | {len(r)} | {sum(x >= 1 for x in r)} | {sum(x >= 0.98 for x in r)} | "
              f"{statistics.median(r):.3f} | {min(r):.3f} | {max(r):.3f} |")
    print("\nLlama rows where ours runs a wide tile (128x256 or 256x128), by tile order and "
          "CUTLASS's mode:\n")
    print("| order | CUTLASS mode | problems | ours at least as fast (both) | median | min | max |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for mode, r in sorted(by_mode.items()):
        print(f"| {mode} | {len(r)} | {sum(x >= 1 for x in r)} | {statistics.median(r):.3f} | "
              f"{min(r):.3f} | {max(r):.3f} |")

    print("\n## The 2x1 cluster on our 128x256 tile\n")
    print("Time with cluster 1x1 over time with 2x1 (above 1 the 2x1 cluster is faster), per "
          "pass, grouped by the tile order fix 0017 gives the problem.\n")
    print("| order | M | problems | pass 1: median (min to max) | pass 2: median (min to max) |")
    print("| --- | ---: | ---: | --- | --- |")
    groups: dict[tuple[str, int], list[list[float]]] = {}
    for key in keys:
        label, m = key
        order = "along M" if along_m(m, runs[0][key]["n"]) else "CUTLASS"
        cell = groups.setdefault((order, m), [[], []])
        for i, r in enumerate(runs):
            if C1 in r[key]["ours"] and C2 in r[key]["ours"]:
                cell[i].append(r[key]["ours"][C1] / r[key]["ours"][C2])
    for (order, m), cell in sorted(groups.items()):
        parts = [f"{statistics.median(x):.3f} ({min(x):.3f} to {max(x):.3f})" for x in cell]
        print(f"| {order} | {m} | {len(cell[0])} | {parts[0]} | {parts[1]} |")


if __name__ == "__main__":
    main()
