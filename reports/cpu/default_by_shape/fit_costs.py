"""Fit fix 0009's tile cost model to bench records, and price a pick made with it.

The model (the comment above sm90_weight_only_tile_cost_us in the patch): a tile of R weight
rows by T tokens costs  fixed + k_per_cta * ns_per_k / 1000 + splits * split_us  microseconds,
where k_per_cta is K times the waves of CTAs, or K / splits where fix 0003 splits the K loop of
the 128- and 256-row kernels (stream-K: every tile's K loop over all SMs, priced as 2 splits).
The 64-row ping-pong kernel never splits. Each (R, T) gets its own least-squares triple, from
the cluster-1x1 tactic's median time on every record whose smallest covering token extent is T.

    python3 fit_costs.py fit [--deep-k-tokens T] [--variant V] RECORDS [...]
        # the cost table, as the patch spells it
    python3 fit_costs.py price [--deep-k-tokens T] PATCH_OR_FIT_RECORDS RECORDS [...]
        # price the pick of a table (a patch's kCost, or the fit of other records) on
        # RECORDS: per M, how often it is within 5% of the fastest tactic timed, the GEMV
        # included, its median and worst loss, and the same for the best of the three
        # candidates the model chooses from
    python3 fit_costs.py above128 FIT_RECORDS HELD_OUT_RECORDS
        # the 64x256 and 128x256 costs fitted at M = 256, priced on the held-out M = 256 and
        # on the fitted run's M = 192: why the rule stops at M = 128

RECORDS: bench_records.jsonl of `w4a16 bench`, plain or gzip-compressed (*.gz).
--variant V: read only the records of `w4a16 lab variants` whose variant is V.
--deep-k-tokens: the widest token extent whose 128- and 256-row tiles walk K 128 deep, which
sets how the launcher splits K: 32 with fix 0005 alone (how 0009's table was fitted), 64 with
fix 0012 (the default).
"""

from __future__ import annotations

import gzip
import json
import re
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
                if VARIANT is not None and rec.get("variant") != VARIANT:
                    continue
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


DEEP_K_TOKENS = 64  # fix 0012; 32 before it
VARIANT: str | None = None  # --variant: the one variant of a `w4a16 lab variants` run to read


def features(rows: int, t: int, m: int, n: int, k: int, sms: int) -> list[float]:
    """[1, K per CTA in thousands, splits]: the model's three terms before their costs."""
    tiles = -(-n // rows) * -(-m // t)
    waves = -(-tiles // sms)
    if rows == 64:
        return [1.0, waves * k / 1000, 0.0]
    k_tile = 128 if t <= DEEP_K_TOKENS and k % 128 == 0 else 64  # fixes 0005, 0012 at group 128
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


Table = dict[tuple[int, int], np.ndarray]


def fit_table(times: Times, shapes: dict[str, tuple[int, int]], sms: int) -> Table:
    """The twelve (rows, token extent) cost triples, fitted to the records' M <= 128."""
    table: Table = {}
    for rows in ROWS:
        for t in TOKENS[:4]:
            c = fit(times, shapes, sms, rows, t, ms={m for _, m in times if m <= 128})
            if c is not None:
                table[(rows, t)] = c
    return table


def table_from_patch(path: str) -> Table:
    """The kCost table a patch of the series adds (its last one, where it has several)."""
    with open(path) as handle:
        text = handle.read()
    body = text[text.rindex("kCost[3][4] = "):]
    body = body[:body.index("};") + 2]
    numbers = [float(v) for v in re.findall(r"-?\d+\.\d+", "\n".join(
        line[1:] for line in body.splitlines()))]
    if len(numbers) != 36:
        sys.exit(f"{path}: expected 36 costs in kCost, found {len(numbers)}")
    triples = np.array(numbers).reshape(3, 4, 3)
    return {(rows, t): triples[r, c]
            for r, rows in enumerate(ROWS) for c, t in enumerate(TOKENS[:4])}


def cmd_fit(paths: list[str]) -> None:
    times, shapes, sms = load(paths)
    table = fit_table(times, shapes, sms)
    print(f"{sms} SMs, deep K up to {DEEP_K_TOKENS} tokens")
    print("rows tokens  fixed_us ns_per_k split_us")
    for (rows, t), c in table.items():
        print(f"{rows:4d} {t:6d}  {c[0]:8.2f} {c[1]:8.2f} {c[2]:8.2f}")


def pick_losses(table: Table, times: Times, shapes: dict[str, tuple[int, int]],
                sms: int) -> dict[int, list[tuple[float, float, str]]]:
    """Per M in the model's range: (the pick's loss, the best candidate's loss, "shape pick")
    against the fastest tactic timed, for every problem that timed all three candidates."""
    losses: dict[int, list[tuple[float, float, str]]] = defaultdict(list)
    for (label, m), by_tactic in sorted(times.items()):
        t = covering(m)
        if m > 128 or t not in TOKENS[:4]:
            continue
        names = {rows: NAME[rows].format(t=t) for rows in ROWS}
        if not all(name in by_tactic for name in names.values()):
            continue
        model = {rows: float(np.dot(table[(rows, t)], features(rows, t, m, *shapes[label], sms)))
                 for rows in (128, 64, 256)}  # the patch's order: 128 rows win a tie
        pick = min(model, key=model.__getitem__)
        best = min(by_tactic.values())
        candidates = min(by_tactic[name] for name in names.values())
        losses[m].append((by_tactic[names[pick]] / best - 1, candidates / best - 1,
                          f"{label} {pick}x{t}"))
    return losses


def cmd_price(source: str, paths: list[str]) -> None:
    """Per M in the model's range, the pick's loss against the fastest tactic timed."""
    table = table_from_patch(source) if source.endswith(".patch") else fit_table(*load([source]))
    times, shapes, sms = load(paths)
    losses = pick_losses(table, times, shapes, sms)
    print(f"{source} on {', '.join(paths)} ({sms} SMs, deep K up to {DEEP_K_TOKENS} tokens)")
    print("   M  problems  pick within 5%  median  worst             worst at            "
          "best candidate within 5%  median  worst")
    everything = []
    for m, rows in sorted(losses.items()):
        everything += rows
        print(_price_line(str(m), rows))
    print(_price_line("all", everything))


def _price_line(title: str, rows: list[tuple[float, float, str]]) -> str:
    pick = sorted(r[0] for r in rows)
    cand = sorted(r[1] for r in rows)
    worst = max(rows)[2]
    return (f"{title:>4}  {len(rows):8d}  {sum(v <= 0.05 for v in pick):14d}  "
            f"{100 * pick[len(pick) // 2]:5.0f}%  {100 * pick[-1]:4.0f}%  {worst:>28}  "
            f"{sum(v <= 0.05 for v in cand):24d}  {100 * cand[len(cand) // 2]:5.0f}%  "
            f"{100 * cand[-1]:4.0f}%")


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
    args = sys.argv[1:]
    while len(args) >= 3 and args[1] in ("--deep-k-tokens", "--variant"):
        if args[1] == "--variant":
            VARIANT = args[2]
        else:
            DEEP_K_TOKENS = int(args[2])
        del args[1:3]
    if len(args) >= 2 and args[0] == "fit":
        cmd_fit(args[1:])
    elif len(args) >= 3 and args[0] == "price":
        cmd_price(args[1], args[2:])
    elif len(args) == 3 and args[0] == "above128":
        cmd_above128(args[1], args[2])
    else:
        sys.exit(__doc__)
