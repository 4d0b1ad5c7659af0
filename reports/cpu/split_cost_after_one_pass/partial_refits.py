"""Price the shipped cost table with some of its 16-token rows refitted to fix 0016's times.

Each subset of the three tiles (64, 128 and 256 weight rows) takes the costs fitted to the
Llama records with 0016; the others keep the series' table. Every table is priced at M <= 16
on the Llama records (the fitted ones) and the held-out records, against the fastest of the
three decode tiles timed. Run from the repository root:

    python3 reports/cpu/split_cost_after_one_pass/partial_refits.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "reports" / "cpu" / "default_by_shape"))
import fit_costs  # noqa: E402  (the report's fitting code, not a package)

RECORDS = ROOT / "reports" / "h200" / "speed" / "split_k_reduction"
PATCH = ROOT / "patches" / "kernel" / "0013-sm90-default-config-prices-deep-k-64-token-tiles.patch"
TOKENS = 16


def losses(table: fit_costs.Table, data: tuple) -> list[float]:
    """The pick's loss against the fastest decode tile on every M <= 16 problem."""
    by_m = fit_costs.pick_losses(table, *data)
    return [loss for m, rows in by_m.items() if m <= TOKENS for loss, _, _ in rows]


def describe(values: list[float]) -> str:
    return (f"{sum(v <= 0.05 for v in values):2d} of {len(values)} within 5%, worst "
            f"{100 * max(values):3.0f}%, mean {100 * float(np.mean(values)):4.1f}%")


def main() -> None:
    fit_costs.VARIANT = "after"
    shipped = fit_costs.table_from_patch(str(PATCH))
    llama = fit_costs.load([str(RECORDS / "before_after" / "records.jsonl")])
    held_out = fit_costs.load([str(RECORDS / "heldout" / "records.jsonl")])
    refit = fit_costs.fit_table(*llama)
    print("refitted rows (16 tokens) | Llama, with 0016 | held-out, with 0016")
    for size in range(4):
        for rows in itertools.combinations(fit_costs.ROWS, size):
            table = dict(shipped)
            for r in rows:
                table[(r, TOKENS)] = refit[(r, TOKENS)]
            name = ", ".join(map(str, rows)) or "none (the series' table)"
            print(f"{name:26s}| {describe(losses(table, llama))} | "
                  f"{describe(losses(table, held_out))}")


if __name__ == "__main__":
    main()
