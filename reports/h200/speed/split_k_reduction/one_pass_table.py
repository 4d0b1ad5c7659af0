"""Tables of a before/after `w4a16 lab variants` run of fix 0016: each tactic's time after over
before, with the K split fix 0003 gives it, and the fastest tactic per problem.

Usage: PYTHONPATH=scripts python3 one_pass_table.py RECORDS.jsonl [...] > table.md
"""
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path

from w4a16.bench.shapes import MODELS

# Fix 0003's rule, as the cost model of fix 0009 applies it.
_spec = importlib.util.spec_from_file_location(
    "fit_costs", Path(__file__).resolve().parents[3] / "cpu" / "default_by_shape" / "fit_costs.py")
fit_costs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fit_costs)

SMS = fit_costs.SMS
SHAPES = {f"{model}/{layer}": (n, k) for model, layers in MODELS.items() for layer, n, k in layers}
NAMES = {"dp": "data-parallel", "split": "split-K", "streamk": "stream-K"}


def decomposition(tactic: str, n: int, k: int) -> str:
    """Fix 0003's choice for a tile at most 32 tokens wide (one tile column, 128-deep K tiles)."""
    rows = int(tactic.split("tile")[1].split("x")[0])
    if rows == 64:
        return "data-parallel (ping-pong)"
    tiles = -(-n // rows)
    how, splits = fit_costs.decomposition(tiles, k // 128, SMS)
    return f"{NAMES[how]}{f' {splits}' if how == 'split' else ''} ({tiles} tiles)"


def main(paths: list[str]) -> None:
    times: dict[tuple[str, str, int], dict[str, float]] = defaultdict(dict)
    for path in paths:
        for line in Path(path).read_text().splitlines():
            r = json.loads(line)
            if r.get("record") == "tactic" and r.get("status") == "ok":
                times[(r["label"], r["tactic"], r["m"])][r["variant"]] = r["median_us"]
    ms = sorted({m for _, _, m in times})
    print("| shape | tactic | fix 0003's K split | " + " | ".join(f"M = {m}" for m in ms) + " |")
    print("| --- | --- | --- | " + " | ".join("---:" for _ in ms) + " |")
    for label, tactic in sorted({(s, t) for s, t, _ in times}):
        n, k = SHAPES[label]
        cells = []
        for m in ms:
            v = times.get((label, tactic, m), {})
            both = {"before", "after"} <= v.keys()
            cells.append(f"{v['before'] / v['after']:.3f}x" if both else "")
        print(f"| {label} | {tactic.split('_')[0]} | {decomposition(tactic, n, k)} | "
              + " | ".join(cells) + " |")
    print("\nThe fastest tactic of each problem, before -> after (us), and before over after:\n")
    print("| shape | " + " | ".join(f"M = {m}" for m in ms) + " |")
    print("| --- | " + " | ".join("---" for _ in ms) + " |")
    for label in sorted({s for s, _, _ in times}):
        cells = []
        for m in ms:
            best = {}
            for variant in ("before", "after"):
                cand = [(v[variant], t) for (s, t, mm), v in times.items()
                        if s == label and mm == m and variant in v]
                best[variant] = min(cand) if cand else None
            b, a = best["before"], best["after"]
            cells.append(f"{b[0]:.1f} -> {a[0]:.1f} ({b[0] / a[0]:.3f}x)" if b and a else "")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
