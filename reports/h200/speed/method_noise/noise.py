"""How far one binary's times, compared with themselves, stray from 1: the ratio of variant "a"
to variant "b" (the same binary and tactic) per (shape, M), in each pass and over both passes
(each side the mean of its two medians, as `w4a16 lab variants` counts a tactic in passes).

Usage, from the repository root:
    PYTHONPATH=scripts python3 reports/h200/speed/method_noise/noise.py
"""
import gzip
import json
import statistics
from pathlib import Path

from w4a16.lab.experiment import best_by_problem

HERE = Path(__file__).resolve().parent


def ratios(best: dict, complete_passes: int = 0) -> list[float]:
    """a over b per (shape, M); with complete_passes, only rows both sides timed that often."""
    out = []
    for (label, m, variant), a in best.items():
        b = best.get((label, m, "b"))
        if variant != "a" or b is None:
            continue
        if complete_passes and min(len(a["pass_us"]), len(b["pass_us"])) < complete_passes:
            continue
        out.append(a["median_us"] / b["median_us"])
    return out


def describe(name: str, values: list[float]) -> None:
    off = [abs(v - 1) for v in values]
    print(f"| {name} | {len(values)} | {min(values):.3f} to {max(values):.3f} | "
          f"{statistics.median(off):.1%} | {sum(x > 0.02 for x in off)} | "
          f"{sum(x > 0.04 for x in off)} |")


def main() -> None:
    with gzip.open(HERE / "variants" / "records.jsonl.gz", "rt") as f:
        records = [json.loads(line) for line in f]
    print("| comparison | rows | a over b | median distance from 1 | beyond 2% | beyond 4% |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    describe("one pass (pass 1 and pass 2 each)",
             ratios(best_by_problem(records, 1)) + ratios(best_by_problem(records, 2)))
    describe("mean of the two passes", ratios(best_by_problem(records), complete_passes=2))


if __name__ == "__main__":
    main()
