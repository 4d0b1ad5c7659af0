"""Fit a two-term time model to measured decode-size rows: where the microseconds go.

At small M a W4A16 GEMM moves few bytes per CTA, so its time is set by how a CTA walks the
K loop rather than by the bandwidth of the card. For each tactic this fits

    time = fixed + per_kblock * work

by least squares over the chosen rows of a bench.json, with two ways of counting `work`:

  waves x k-blocks   ceil(tiles / SMs) * K / tile_k: each CTA owns whole output tiles and
                     walks all of K (a data-parallel or persistent schedule);
  k-blocks per SM    tiles * K / tile_k / SMs: every tile's k-blocks spread evenly over the
                     SMs (what stream-K aims for).

`tiles` counts output tiles: the tactic's first tile size runs along N (the weights; the
kernel computes the transposed product) and the second along M. A tactic whose rows fit a
line closely (R^2 near 1) spends `per_kblock` microseconds per k-block on an SM and `fixed`
microseconds whatever the size; `per_kblock` set beside the weight and scale bytes one
k-block reads gives the DRAM bandwidth all SMs together would draw at that pace.

Usage: w4a16 lab model BENCH_JSON [--m 1,16] [--dtype fp16] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from w4a16.argtypes import add_out_option, positive_ints
from w4a16.bench.report import read_json as read_bench_json
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.lab.streamk_plan import load as load_streamk_plan
from w4a16.lab.streamk_plan import workload
from w4a16.tactics import TILE_K, Tactic

WORK_KINDS = ("waves_x_kblocks", "kblocks_per_sm")


@dataclass(frozen=True)
class Row:
    """One measured (problem, tactic) time with the counts the model needs."""

    problem: str
    m: int
    n: int
    k: int
    us: float
    tiles: int
    kblocks: int
    kblock_bytes: int  # weights + scales one k-block of one tile reads from DRAM


@dataclass(frozen=True)
class Fit:
    tactic: str
    work: str
    rows: int
    fixed_us: float
    per_kblock_us: float
    r2: float
    worst_residual: float  # largest |measured - model| / measured over the rows
    implied_tb_per_s: float  # SMs * bytes per k-block / per_kblock

    def line(self) -> str:
        return (
            f"| `{self.tactic}` | {self.work} | {self.rows} | {self.fixed_us:.1f} |"
            f" {self.per_kblock_us:.3f} | {self.r2:.3f} | {self.worst_residual * 100:.0f}% |"
            f" {self.implied_tb_per_s:.2f} |"
        )


def _tile(record: Mapping[str, Any]) -> Tactic | None:
    """The CUTLASS tile of a tactic record; None for a tactic that is not one (the CUDA-core
    GEMV has no tiles or waves, so the model does not describe it)."""
    try:
        return Tactic.from_name(str(record["tactic"]))
    except ValueError:
        return None


def kblock_dram_bytes(tactic: Tactic, group: int) -> int:
    """Weights and scales one k-block of one tile reads; activations are shared through L2."""
    return tactic.tile_m * TILE_K // 2 + tactic.tile_m * TILE_K * 2 // group


def rows_of(
    problems: Iterable[Mapping[str, Any]], ms: Sequence[int], dtype: str, group: int | None
) -> dict[str, list[Row]]:
    """Tactic name -> its timed rows among the problems with M in `ms` and this dtype."""
    out: dict[str, list[Row]] = defaultdict(list)
    for p in problems:
        if int(p["m"]) not in ms or p.get("dtype") != dtype:
            continue
        m, n, k, g = int(p["m"]), int(p["n"]), int(p["k"]), int(p.get("group") or 128)
        if group is not None and g != group:
            continue
        for t in p.get("tactics", []):
            if t.get("status") != "ok" or t.get("median_us") is None:
                continue
            tactic = _tile(t)
            if tactic is None:
                continue
            tiles = math.ceil(n / tactic.tile_m) * math.ceil(m / tactic.tile_n)
            out[str(t["tactic"])].append(
                Row(
                    p.get("label", "?"),
                    m,
                    n,
                    k,
                    float(t["median_us"]),
                    tiles,
                    k // TILE_K,
                    kblock_dram_bytes(tactic, g),
                )
            )
    return dict(out)


def work_of(row: Row, kind: str, sms: int) -> float:
    if kind == "waves_x_kblocks":
        return math.ceil(row.tiles / sms) * row.kblocks
    if kind == "kblocks_per_sm":
        return row.tiles * row.kblocks / sms
    raise ValueError(kind)


def fit(tactic: str, rows: Sequence[Row], kind: str, sms: int) -> Fit | None:
    """Least-squares line through (work, time); None with fewer than 3 distinct works."""
    xs = [work_of(r, kind, sms) for r in rows]
    return _line(tactic, kind, xs, [r.us for r in rows], [r.kblock_bytes for r in rows], sms)


def _line(
    tactic: str,
    kind: str,
    xs: Sequence[float],
    ys: Sequence[float],
    kblock_bytes: Sequence[int],
    sms: int,
) -> Fit | None:
    """The fit of time ys against work xs; the mean k-block bytes give the implied rate."""
    if len(set(xs)) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    fixed = my - slope * mx
    predicted = [fixed + slope * x for x in xs]
    ss_res = sum((y - q) ** 2 for y, q in zip(ys, predicted, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    worst = max(abs(y - q) / y for y, q in zip(ys, predicted, strict=True))
    mean_bytes = sum(kblock_bytes) / len(kblock_bytes)
    implied = sms * mean_bytes / (slope * 1e-6) / 1e12 if slope > 0 else float("nan")
    return Fit(
        tactic,
        kind,
        len(xs),
        fixed,
        slope,
        1 - ss_res / ss_tot if ss_tot else 1.0,
        worst,
        implied,
    )


def fits(
    bench: Mapping[str, Any], ms: Sequence[int], dtype: str, group: int | None = None
) -> list[Fit]:
    """Every tactic's fit under both work counts, best fitting first within a tactic."""
    sms = int(bench.get("device", {}).get("sm_count") or 0)
    if sms <= 0:
        raise UserError("bench.json names no SM count (device.sm_count)")
    out: list[Fit] = []
    for tactic, rows in sorted(rows_of(bench.get("problems", []), ms, dtype, group).items()):
        found = [f for kind in WORK_KINDS if (f := fit(tactic, rows, kind, sms)) is not None]
        out.extend(sorted(found, key=lambda f: -f.r2))
    return out


SPLITS = (1, 2, 3, 4, 6, 8)


@dataclass(frozen=True)
class Projection:
    """What a fitted data-parallel tactic would take with K split `splits` ways."""

    problem: str
    n: int
    k: int
    measured_us: float
    splits: int
    projected_us: float


def project_split_k(fitted: Fit, rows: Sequence[Row], sms: int) -> list[Projection]:
    """Per problem, the best split of K under a waves x k-blocks fit, reduction cost left out.

    A lower bound for split-K on that tactic: each split multiplies the CTAs and divides the
    k-blocks each walks; combining the partial sums is not charged.
    """
    if fitted.work != "waves_x_kblocks":
        raise ValueError("projection needs a waves_x_kblocks fit")
    out = []
    seen: set[tuple[int, int]] = set()
    for row in rows:
        if (row.n, row.k) in seen:
            continue
        seen.add((row.n, row.k))
        best = min(
            (
                fitted.fixed_us
                + fitted.per_kblock_us
                * math.ceil(row.tiles * s / sms)
                * math.ceil(row.kblocks / s),
                s,
            )
            for s in SPLITS
            if row.kblocks % s == 0
        )
        out.append(Projection(row.problem, row.n, row.k, row.us, best[1], best[0]))
    return out


def fits_by_mode(
    bench: Mapping[str, Any], plan: Mapping[tuple, dict], ms: Sequence[int], dtype: str
) -> list[Fit]:
    """Cooperative tactics fitted separately per scheduler mode (streamk_plan's choice).

    work = k-tiles the busiest SM walks under that mode; a mode with rows of fewer than three
    distinct works is left out.
    """
    sms = int(bench.get("device", {}).get("sm_count") or 0)
    # (tactic, mode) -> (work, time, k-block bytes) per row
    grouped: dict[tuple[str, str], list[tuple[float, float, int]]] = defaultdict(list)
    for p in bench.get("problems", []):
        if int(p["m"]) not in ms or p.get("dtype") != dtype:
            continue
        for t in p.get("tactics", []):
            tactic = _tile(t)
            if t.get("status") != "ok" or tactic is None or tactic.schedule != "coop":
                continue
            key = (
                p.get("label"),
                int(p["m"]),
                tactic.tile_m,
                tactic.tile_n,
                tactic.cluster_m,
                tactic.cluster_n,
            )
            row = plan.get(key)
            if row is None or row["sms"] != sms:
                continue
            grouped[(str(t["tactic"]), row["mode"])].append(
                (
                    float(workload(row)[1]),
                    float(t["median_us"]),
                    kblock_dram_bytes(tactic, int(p.get("group") or 128)),
                )
            )
    out = []
    for (name, mode), points in sorted(grouped.items()):
        xs, ys, nbytes = zip(*points, strict=True)
        fitted = _line(name, f"busiest_sm_k_tiles[{mode}]", xs, ys, nbytes, sms)
        if fitted is not None:
            out.append(fitted)
    return out


def report(found: Sequence[Fit], source: str, ms: Sequence[int], dtype: str) -> str:
    head = [
        f"# Decode-size time model, fitted to {source}",
        "",
        f"M in {{{', '.join(map(str, ms))}}}, {dtype}; time = fixed + per_kblock x work "
        "(w4a16.lab.decode_model). worst: the largest |measured - model| / measured.",
        "",
        "| tactic | work | rows | fixed us | us per k-block | R^2 | worst | implied TB/s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    return "\n".join(head + [f.line() for f in found]) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bench_json", type=Path, help="a bench.json written by w4a16 bench "
                        "(or bench.json.gz)")
    parser.add_argument(
        "--m",
        type=positive_ints,
        default="1,16",
        help="comma-separated token counts whose rows are fitted (default 1,16)",
    )
    parser.add_argument("--dtype", default="fp16", help="activation type of the rows (fp16)")
    parser.add_argument(
        "--group", type=int, default=None, help="only rows of this group size (default: any)"
    )
    parser.add_argument(
        "--streamk-plan",
        type=Path,
        default=None,
        metavar="JSON",
        help="streamk_plan.json (w4a16 lab streamk): also fit each "
        "cooperative tactic per scheduler mode, work = k-tiles of the busiest SM",
    )
    parser.add_argument(
        "--project",
        metavar="TACTIC",
        default=None,
        help="also project split-K times for this tactic's waves x k-blocks fit at the first "
        "--m (a lower bound: combining the partial sums is not charged)",
    )
    add_out_option(parser, "decode_model")


def run(args: argparse.Namespace) -> int:
    """Fit the model to the bench.json rows; print the report or write --out."""
    ms: list[int] = args.m
    try:
        bench = read_bench_json(args.bench_json)
        found = fits(bench, ms, args.dtype, args.group)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if not found:
        raise UserError("no tactic has rows of 3 distinct sizes to fit")
    text = report(found, str(args.bench_json), ms, args.dtype)
    by_mode: list[Fit] = []
    if args.streamk_plan is not None:
        try:
            by_mode = fits_by_mode(bench, load_streamk_plan(args.streamk_plan), ms, args.dtype)
        except (OSError, ValueError, KeyError) as exc:
            raise UserError(f"--streamk-plan {args.streamk_plan}: {exc}") from None
        text += (
            "\n## Cooperative tactics per scheduler mode\n\n"
            f"Mode as CUTLASS's stream-K scheduler picks it ({args.streamk_plan}); work = the"
            " k-tiles the busiest SM walks.\n\n"
            + "\n".join(report(by_mode, "", ms, args.dtype).splitlines()[4:])
            + "\n"
        )
    projections: list[Projection] = []
    if args.project:
        chosen = next(
            (f for f in found if f.tactic == args.project and f.work == "waves_x_kblocks"), None
        )
        if chosen is None:
            raise UserError(f"no fit of {args.project} to project")
        rows = rows_of(bench["problems"], ms[:1], args.dtype, args.group)[args.project]
        projections = project_split_k(chosen, rows, int(bench["device"]["sm_count"]))
        text += (
            f"\n## Split-K projection for `{args.project}` (M = {ms[0]}; model, not a"
            " measurement; reduction not charged)\n\n"
            "| problem | N | K | measured us | best split | projected us |\n"
            "| --- | --- | --- | --- | --- | --- |\n"
            + "".join(
                f"| {p.problem} | {p.n} | {p.k} | {p.measured_us:.1f} | {p.splits} |"
                f" {p.projected_us:.1f} |\n"
                for p in projections
            )
        )
    if args.out is None:
        print(text, end="")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "decode_model.md").write_text(text)
    (args.out / "decode_model.json").write_text(
        json.dumps(
            {
                "source": str(args.bench_json),
                "m": ms,
                "dtype": args.dtype,
                "fits": [asdict(f) for f in found],
                "fits_by_scheduler_mode": [asdict(f) for f in by_mode],
                "split_k_projection": [asdict(p) for p in projections],
            },
            indent=1,
        )
    )
    print(f"decode_model: {len(found)} fits -> {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.lab.decode_model`: the same as `w4a16 lab model`."""
    parser = argparse.ArgumentParser(
        prog="python -m w4a16.lab.decode_model",
        description="Fit time = fixed + per_kblock x work to each tactic's decode-size rows.",
    )
    add_arguments(parser)
    return run_guarded(run, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
