"""Fit fix 0009's tile cost model to bench records, and price a pick made with it.

The model (the comment above sm90_weight_only_tile_cost_us in the patch): a tile of R weight
rows by T tokens costs  fixed + k_per_cta * ns_per_k / 1000 + splits * split_us  microseconds,
where k_per_cta is K times the waves of CTAs, or K / splits where fix 0003 splits the K loop of
the 128- and 256-row kernels (stream-K: every tile's K loop over all SMs, priced as 2 splits).
The 64-row ping-pong kernel never splits. Each (R, T) gets its own least-squares triple, from
the cluster-1x1 tactic's median time on every record whose smallest covering token extent is T.

    python3 fit_costs.py fit RECORDS [...]           # the cost table, as the patch spells it
    python3 fit_costs.py above128 FIT_RECORDS HELD_OUT_RECORDS
        # the 64x256 and 128x256 costs fitted at M = 256, priced on the held-out M = 256 and
        # on the fitted run's M = 192: why the rule stops at M = 128

RECORDS: bench_records.jsonl of `w4a16 bench`, plain or gzip-compressed (*.gz).
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict

import numpy as np

SMS = 132  # when the records have no device record (the H200 of the committed runs)
ROWS = (64, 128, 256)
TOKENS = (16, 32, 64, 128, 256)
NAME = {64: "tile64x{t}x64_cluster1x1x1_pingpong", 128: "tile128x{t}x64_cluster1x1x1_coop",
        256: "tile256x{t}x64_cluster1x1x1_coop"}

Times = dict[tuple[str, int], dict[str, float]]


def load(paths: list[str]) -> tuple[Times, dict[str, tuple[int, int]], int]:
    """Median times by (label, M) and tactic, (N, K) by label, and the GPU's SM count."""
    times: Times = defaultdict(dict)
    shapes: dict[str, tuple[int, int]] = {}
    sms = SMS
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as handle:
            for line in handle:
                rec = json.loads(line)
                if rec.get("record") == "device" and isinstance(rec.get("sm_count"), int):
                    sms = rec["sm_count"]
                if rec.get("record") == "tactic" and rec.get("status") == "ok":
                    times[(rec["label"], rec["m"])][rec["tactic"]] = rec["median_us"]
                    shapes[rec["label"]] = (rec["n"], rec["k"])
    return times, shapes, sms


def covering(m: int) -> int:
    return next((t for t in TOKENS if m <= t), TOKENS[-1])


def decomposition(tiles: int, k_tiles: int, sms: int) -> tuple[str, int]:
    """Fix 0003's choice: ("dp", 1), ("split", parts) or ("streamk", 0)."""
    if tiles >= sms:
        return "dp", 1
    if 2 * tiles <= sms:
        splits = min(sms // tiles, k_tiles // 8)
        return ("split", splits) if splits >= 2 else ("dp", 1)
    if k_tiles * (sms - tiles) >= 32 * sms:
        return "streamk", 0
    return "dp", 1


def features(rows: int, t: int, m: int, n: int, k: int, sms: int) -> list[float]:
    """[1, K per CTA in thousands, splits]: the model's three terms before their costs."""
    tiles = -(-n // rows) * -(-m // t)
    waves = -(-tiles // sms)
    if rows == 64:
        return [1.0, waves * k / 1000, 0.0]
    k_tile = 128 if t <= 32 and k % 128 == 0 else 64  # fix 0005 at group 128
    how, splits = decomposition(tiles, -(-k // k_tile), sms)
    if how == "streamk":
        return [1.0, tiles * k / sms / 1000, 2.0]
    if how == "split":
        return [1.0, k / splits / 1000, float(splits)]
    return [1.0, waves * k / 1000, 0.0]


def fit(times: Times, shapes: dict[str, tuple[int, int]], sms: int, rows: int, t: int,
        ms: set[int] | None = None) -> np.ndarray | None:
    x, y = [], []
    for (label, m), by_tactic in times.items():
        name = NAME[rows].format(t=t)
        if covering(m) != t or name not in by_tactic or (ms is not None and m not in ms):
            continue
        x.append(features(rows, t, m, *shapes[label], sms))
        y.append(by_tactic[name])
    if not x:
        return None
    a = np.array(x)
    used = [0, 1] + ([2] if a[:, 2].any() else [])
    coef, *_ = np.linalg.lstsq(a[:, used], np.array(y), rcond=None)
    out = np.zeros(3)
    out[used] = coef
    return out


def cmd_fit(paths: list[str]) -> None:
    times, shapes, sms = load(paths)
    print(f"{sms} SMs")
    print("rows tokens  fixed_us ns_per_k split_us")
    for rows in ROWS:
        for t in TOKENS[:4]:
            c = fit(times, shapes, sms, rows, t, ms={m for _, m in times if m <= 128})
            if c is not None:
                print(f"{rows:4d} {t:6d}  {c[0]:8.2f} {c[1]:8.2f} {c[2]:8.2f}")


def cmd_above128(fit_path: str, held_out_path: str) -> None:
    times, shapes, sms = load([fit_path])
    costs = {rows: fit(times, shapes, sms, rows, 256, ms={256}) for rows in (64, 128)}
    for rows, c in costs.items():
        print(f"M = 256 fit, {rows}x256: fixed {c[0]:.2f} us, {c[1]:.2f} ns per K, "
              f"{c[2]:.2f} us per split")

    def price(label: str, m: int, by_tactic: dict[str, float], shape: tuple[int, int]
              ) -> tuple[float, float]:
        model = {r: float(np.dot(c, features(r, 256, m, *shape, sms))) for r, c in costs.items()}
        pick = min(model, key=model.__getitem__)
        best = min(by_tactic.values())
        return (by_tactic[NAME[pick].format(t=256)] / best - 1,
                by_tactic[NAME[128].format(t=256)] / best - 1)

    for title, (t2, s2, _), m in (("held-out, M = 256", load([held_out_path]), 256),
                                  ("fitted run, M = 192", (times, shapes, sms), 192)):
        rows = [price(label, mm, bt, s2[label]) for (label, mm), bt in sorted(t2.items())
                if mm == m]
        model = sorted(r[0] for r in rows)
        fixed = sorted(r[1] for r in rows)
        print(f"{title}: model pick within 5% on {sum(v <= 0.05 for v in model)} of {len(rows)}, "
              f"median {100 * model[len(model) // 2]:.0f}%, worst {100 * model[-1]:.0f}%; "
              f"128x256 within 5% on {sum(v <= 0.05 for v in fixed)}, median "
              f"{100 * fixed[len(fixed) // 2]:.0f}%, worst {100 * fixed[-1]:.0f}%")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "fit":
        cmd_fit(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "above128":
        cmd_above128(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
