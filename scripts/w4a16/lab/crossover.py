"""Where TensorRT-LLM's CUDA-core GEMV and its SM90 CUTLASS tactics cross over, per shape and M.

Reads the records the bench binary writes (`w4a16SM90Bench --out FILE`, one JSON object a
line) and tabulates, per (shape, M): the GEMV's median time, the fastest CUTLASS tactic and
its time, which is faster, and what TensorRT-LLM's default (the GEMV below its weight-only
plugins' small-M fast path, else the heuristic's first config) loses against the fastest
tactic measured. Only tactics compiled into the timed binary compete.

Then it prices selection rules a runtime could apply without profiling, each shape held out
in turn: TensorRT-LLM's default; and "the GEMV up to M = T, else the CUTLASS tactic most often
fastest at that M", with T and those tactics learned from the other shapes only.

    w4a16 lab crossover RECORDS.jsonl [...] [--out table.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.tactics import GEMV_TACTIC


@dataclass(frozen=True)
class Row:
    label: str
    m: int
    gemv_us: float | None
    best_cutlass: str
    best_cutlass_us: float
    default_tactic: str
    default_us: float | None
    times: dict[str, float]  # every timed tactic's median, the GEMV included

    @property
    def best_us(self) -> float:
        return min(t for t in (self.gemv_us, self.best_cutlass_us) if t is not None)

    @property
    def default_loss(self) -> float | None:
        """How much slower TensorRT-LLM's default is than the fastest tactic (0.05 = 5%)."""
        return None if self.default_us is None else self.default_us / self.best_us - 1


def read_rows(files: list[Path]) -> list[Row]:
    """One Row per (shape, M) that has at least one timed CUTLASS tactic."""
    tactics: dict[tuple[str, int], list[dict]] = defaultdict(list)
    defaults: dict[tuple[str, int], str] = {}
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                raise UserError(f"{path}:{number}: not a JSON record") from None
            key = (str(rec.get("label")), int(rec.get("m", 0)))
            if rec.get("record") == "problem":
                defaults[key] = str(rec.get("default_tactic"))
            elif rec.get("record") == "tactic" and rec.get("status") == "ok":
                tactics[key].append(rec)
    rows = []
    for key in sorted(tactics, key=lambda k: (k[0], k[1])):
        timed = {t["tactic"]: float(t["median_us"]) for t in tactics[key]}
        cutlass = {k: v for k, v in timed.items() if k != GEMV_TACTIC}
        if not cutlass:
            continue
        best = min(cutlass, key=cutlass.__getitem__)
        default = defaults.get(key, "")
        rows.append(Row(key[0], key[1], timed.get(GEMV_TACTIC), best, cutlass[best], default,
                        timed.get(default), timed))
    if not rows:
        raise UserError("no timed CUTLASS tactic in the records given")
    return rows


def table(rows: list[Row]) -> str:
    """A Markdown table of the rows, then the crossover M per shape."""
    out = ["| shape | M | GEMV us | best CUTLASS | us | faster | default | default loss |",
           "| --- | ---: | ---: | --- | ---: | --- | --- | ---: |"]
    for r in rows:
        gemv = f"{r.gemv_us:.1f}" if r.gemv_us is not None else "-"
        faster = "-" if r.gemv_us is None else (
            f"GEMV {r.best_cutlass_us / r.gemv_us:.2f}x" if r.gemv_us < r.best_cutlass_us
            else f"CUTLASS {r.gemv_us / r.best_cutlass_us:.2f}x")
        loss = "-" if r.default_loss is None else f"{100 * r.default_loss:.0f}%"
        out.append(f"| {r.label} | {r.m} | {gemv} | {r.best_cutlass} | {r.best_cutlass_us:.1f} "
                   f"| {faster} | {r.default_tactic} | {loss} |")
    out += ["", "Largest M at which the GEMV is still the faster, per shape:", ""]
    by_label: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_label[r.label].append(r)
    for label, group in by_label.items():
        wins = [r.m for r in group if r.gemv_us is not None and r.gemv_us < r.best_cutlass_us]
        out.append(f"- {label}: " + (f"M <= {max(wins)}" if wins else "never"))
    return "\n".join(out) + "\n"


def _learned_rule(train: list[Row]) -> tuple[int, dict[int, str]]:
    """T and the per-M CUTLASS pick that lose least on `train` (summed relative loss)."""
    picks: dict[int, str] = {}
    for m in sorted({r.m for r in train}):
        counts: dict[str, int] = defaultdict(int)
        for r in train:
            if r.m == m:
                counts[r.best_cutlass] += 1
        picks[m] = max(sorted(counts), key=counts.__getitem__)
    best_t, best_loss = 0, float("inf")
    for t in range(0, max(r.m for r in train) + 1):
        loss = sum(_loss(r, GEMV_TACTIC if r.m <= t else picks[r.m]) for r in train)
        if loss < best_loss:
            best_t, best_loss = t, loss
    return best_t, picks


def _loss(row: Row, tactic: str) -> float:
    """Relative loss of running `tactic` on this row; a tactic it lacks counts as config 0."""
    us = row.times.get(tactic)
    if us is None:
        us = row.default_us if row.default_us is not None else row.best_cutlass_us
    return us / row.best_us - 1


def held_out(rows: list[Row]) -> str:
    """Each shape priced by rules learned without it, against TensorRT-LLM's default."""
    labels = sorted({r.label for r in rows})
    if len(labels) < 2:
        return "Held-out pricing needs at least two shapes.\n"
    out = ["| held-out shape | learned T | default: median / worst loss | "
           "learned rule: median / worst loss |", "| --- | ---: | --- | --- |"]
    everything_default, everything_rule = [], []
    for label in labels:
        t, picks = _learned_rule([r for r in rows if r.label != label])
        test = [r for r in rows if r.label == label]
        default = sorted(r.default_loss or 0.0 for r in test)
        rule = sorted(_loss(r, GEMV_TACTIC if r.m <= t else picks.get(r.m, r.best_cutlass))
                      for r in test)
        everything_default += default
        everything_rule += rule
        out.append(f"| {label} | {t} | {100 * default[len(default) // 2]:.0f}% / "
                   f"{100 * default[-1]:.0f}% | {100 * rule[len(rule) // 2]:.0f}% / "
                   f"{100 * rule[-1]:.0f}% |")
    everything_default.sort()
    everything_rule.sort()
    out += ["", f"Over all {len(everything_rule)} rows: TensorRT-LLM's default loses a median "
            f"{100 * everything_default[len(everything_default) // 2]:.0f}% (worst "
            f"{100 * everything_default[-1]:.0f}%), the held-out rule a median "
            f"{100 * everything_rule[len(everything_rule) // 2]:.0f}% (worst "
            f"{100 * everything_rule[-1]:.0f}%), against the fastest tactic measured."]
    return "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("records", nargs="+", type=Path,
                        help="JSONL files written by the bench binary's --out")
    parser.add_argument("--out", type=Path, help="also write the table to this file")


def run(args: argparse.Namespace) -> int:
    """Tabulate the crossover and the held-out pricing; print it (and write --out)."""
    rows = read_rows(args.records)
    text = table(rows) + "\n" + held_out(rows)
    if args.out:
        try:
            args.out.write_text(text)
        except OSError as exc:
            raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    print(text, end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.lab.crossover`: the same as `w4a16 lab crossover`."""
    parser = argparse.ArgumentParser(prog="python3 -m w4a16.lab.crossover",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run_guarded(run, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
