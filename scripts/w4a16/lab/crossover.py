"""Where TensorRT-LLM's CUDA-core GEMV and its SM90 CUTLASS tactics cross over, per shape and M.

Reads the records the bench binary writes (`w4a16SM90Bench --out FILE`, one JSON object a
line) and tabulates, per (shape, M): the GEMV's median time, the fastest CUTLASS tactic and
its time, which is faster, and what TensorRT-LLM's default (the GEMV below the small-M fast
path of its older weight-only plugins, else the heuristic's first config) loses against the
fastest tactic measured. Newer plugins profile the GEMV as a tactic below M = 16 instead.
Only tactics compiled into the timed binary compete.

Then it prices selection rules a runtime could apply without profiling, each shape held out
in turn: TensorRT-LLM's default; and "the GEMV up to M = T, else the CUTLASS tactic most often
fastest at that M", with T and those tactics learned from the other shapes only.

With --default-rule-tool it also prices, against the fastest tactic timed on each row, the
default the series gives a caller that passes no profiled tactic (fix 0006: a tile picked from
M; fix 0009: from M, the weight shape, the group size and the SM count), as
`w4a16SM90Tool --w4a16_default_config=N,K,GROUP,SMS:M,...` reports it: that pick at every M,
and the GEMV below M = 5 (where timed) else that pick. These rules are not learned from the
records, so nothing is held out.

    w4a16 lab crossover RECORDS.jsonl [...] [--variant NAME]
                        [--default-rule-tool w4a16SM90Tool] [--sms N] [--out table.md]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from w4a16.argtypes import positive
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.tactics import GEMV_TACTIC, Tactic

# TensorRT-LLM's weight-only plugins take the CUDA-core GEMV below this M.
GEMV_BELOW_M = 5
# How long the default-rule tool may take to print its picks (host code only).
TOOL_TIMEOUT_S = 60.0
# A problem whose loss is at most this counts as within 5% of the best.
NEAR_BEST = 0.05


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
    shape: tuple[int, int, int] | None = None  # (N, K, group) where the records say

    @property
    def best_us(self) -> float:
        return min(t for t in (self.gemv_us, self.best_cutlass_us) if t is not None)

    @property
    def default_loss(self) -> float | None:
        """How much slower TensorRT-LLM's default is than the fastest tactic (0.05 = 5%)."""
        return None if self.default_us is None else self.default_us / self.best_us - 1


def _record_lines(path: Path) -> list[str]:
    """The lines of a records file, gzip-compressed (`.gz`, as large committed reports keep
    them) or not."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt") as handle:
                return handle.read().splitlines()
        return path.read_text().splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class Records:
    """What the records files hold: the rows, and the SM counts their device records name."""

    rows: list[Row]
    sm_counts: set[int]


def read_rows(files: list[Path], variant: str | None = None) -> list[Row]:
    """One Row per (shape, M) that has at least one timed CUTLASS tactic."""
    return read_records(files, variant).rows


def read_records(files: list[Path], variant: str | None = None) -> Records:
    """The rows (see read_rows) and the SM counts, in one pass over the files. With variant,
    only the records `w4a16 lab variants` tagged with that build (and untagged ones, such as
    a bench run's device record) count."""
    tactics: dict[tuple[str, int], list[dict]] = defaultdict(list)
    defaults: dict[tuple[str, int], str] = {}
    variants: set[str] = set()
    sm_counts: set[int] = set()
    for path in files:
        lines = _record_lines(path)
        for number, line in enumerate(lines, 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                raise UserError(f"{path}:{number}: not a JSON record") from None
            key = (str(rec.get("label")), int(rec.get("m", 0)))
            if "variant" in rec:
                variants.add(str(rec["variant"]))
                if variant is not None and str(rec["variant"]) != variant:
                    continue
            if rec.get("record") == "problem":
                defaults[key] = str(rec.get("default_tactic"))
            elif rec.get("record") == "tactic" and rec.get("status") == "ok":
                tactics[key].append(rec)
            elif (rec.get("record") == "device" and isinstance(rec.get("sm_count"), int)
                  and rec["sm_count"] > 0):
                sm_counts.add(rec["sm_count"])
    if variant is not None and variant not in variants:
        raise UserError(f"no records of variant {variant!r}"
                        + (f" (the records hold {', '.join(sorted(variants))})" if variants
                           else " (the records carry no variant tags)"))
    if variant is None and len(variants) > 1:
        # `w4a16 lab variants` tags each record with its build; two builds' times of the same
        # tactic must not be mixed into one row.
        raise UserError(f"the records hold {len(variants)} variants ({', '.join(sorted(variants))})"
                        "; name one with --variant, or give the records of one build")
    rows = []
    for key in sorted(tactics, key=lambda k: (k[0], k[1])):
        timed = {t["tactic"]: float(t["median_us"]) for t in tactics[key]}
        cutlass = {k: v for k, v in timed.items() if k != GEMV_TACTIC}
        if not cutlass:
            continue
        best = min(cutlass, key=cutlass.__getitem__)
        default = defaults.get(key, "")
        rows.append(Row(key[0], key[1], timed.get(GEMV_TACTIC), best, cutlass[best], default,
                        timed.get(default), timed, _shape(tactics[key])))
    if not rows:
        raise UserError("no timed CUTLASS tactic in the records given")
    return Records(rows, sm_counts)


def _shape(records: list[dict]) -> tuple[int, int, int] | None:
    """(N, K, group) of a row's tactic records, where they all carry it."""
    shapes = {(rec.get("n"), rec.get("k"), rec.get("group")) for rec in records}
    if len(shapes) != 1:
        return None
    n, k, group = shapes.pop()
    if not all(isinstance(v, int) and v > 0 for v in (n, k, group)):
        return None
    return (n, k, group)


def one_sm_count(counts: set[int]) -> int:
    """The SM count of the GPU the records were timed on, where their device records agree."""
    if len(counts) != 1:
        found = ", ".join(str(c) for c in sorted(counts)) or "none"
        raise UserError(f"the records name {len(counts)} SM counts ({found}); the default rule "
                        "needs one: give --sms")
    return next(iter(counts))


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
        # A row whose default was not timed has no default loss, not a loss of 0.
        default = sorted(r.default_loss for r in test if r.default_loss is not None)
        rule = sorted(_loss(r, GEMV_TACTIC if r.m <= t else picks.get(r.m, r.best_cutlass))
                      for r in test)
        everything_default += default
        everything_rule += rule
        default_cell = (f"{100 * _median(default):.0f}% / {100 * default[-1]:.0f}%"
                        if default else "not timed")
        out.append(f"| {label} | {t} | {default_cell} | {100 * _median(rule):.0f}% / "
                   f"{100 * rule[-1]:.0f}% |")
    everything_default.sort()
    everything_rule.sort()
    default_text = (f"TensorRT-LLM's default loses a median "
                    f"{100 * _median(everything_default):.0f}% (worst "
                    f"{100 * everything_default[-1]:.0f}%, {len(everything_default)} rows timed)"
                    if everything_default else "TensorRT-LLM's default was not timed")
    out += ["", f"Over all {len(everything_rule)} rows: {default_text}, the held-out rule a "
            f"median {100 * _median(everything_rule):.0f}% (worst "
            f"{100 * everything_rule[-1]:.0f}%), against the fastest tactic measured."]
    return "\n".join(out) + "\n"


_PICK_LINE = re.compile(r"^m=(\d+) tactic=(\S+)$")


def _one_line(text: str, limit: int = 160) -> str:
    """`text` squeezed onto one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


def default_rule_picks(tool: Path, rows: list[Row], sm_count: int) -> dict[tuple[str, int], str]:
    """The series' default tactic for each row, keyed (label, M): one call of
    `tool --w4a16_default_config=N,K,GROUP,SMS:M,...` (host only) per weight shape."""
    if not tool.is_file():
        raise UserError(f"default-rule tool {tool}: no such file")
    by_shape: dict[tuple[int, int, int], list[Row]] = defaultdict(list)
    for r in rows:
        if r.shape is None:
            raise UserError(f"the records of {r.label} do not say its weight shape and group "
                            "(n, k, group), which the default rule reads")
        by_shape[r.shape].append(r)
    picks: dict[tuple[str, int], str] = {}
    for (n, k, group), shaped in by_shape.items():
        ms = sorted({r.m for r in shaped})
        answered = _tool_picks(tool, f"{n},{k},{group},{sm_count}", ms)
        for r in shaped:
            picks[(r.label, r.m)] = answered[r.m]
    return picks


def _tool_picks(tool: Path, shape: str, ms: list[int]) -> dict[int, str]:
    """The tool's pick for each M on one weight shape ("N,K,GROUP,SMS")."""
    flag = f"--w4a16_default_config={shape}:" + ",".join(str(m) for m in ms)
    try:
        done = subprocess.run([str(tool), flag], capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise UserError(f"default-rule tool {tool}: no answer within {TOOL_TIMEOUT_S:g} s "
                        "to --w4a16_default_config") from None
    except OSError as exc:
        raise UserError(f"default-rule tool {tool}: cannot run it: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        said = (errors or lines[-1:] or ["(nothing on stderr)"])[0]
        said = said.removeprefix("error:").strip()
        how = (f"exited {done.returncode}" if done.returncode > 0
               else f"killed by signal {-done.returncode}")
        raise UserError(f"default-rule tool {tool} {how}: {_one_line(said)}")
    picks: dict[int, str] = {}
    for number, line in enumerate(done.stdout.splitlines(), 1):
        if not line.strip():
            continue
        match = _PICK_LINE.match(line.strip())
        if not match:
            raise UserError(f"default-rule tool {tool}: output line {number} is not "
                            f"'m=M tactic=NAME': {_one_line(repr(line), 80)}")
        m, name = int(match.group(1)), match.group(2)
        try:
            Tactic.from_name(name)
        except ValueError as exc:
            raise UserError(f"default-rule tool {tool}: output line {number}: "
                            f"{_one_line(str(exc), 120)}") from None
        if m not in ms or m in picks:
            raise UserError(f"default-rule tool {tool}: output line {number} answers M = {m}, "
                            "which was not asked or was already answered")
        picks[m] = name
    missing = [m for m in ms if m not in picks]
    if missing:
        shown = ", ".join(str(m) for m in missing[:8]) + (", ..." if len(missing) > 8 else "")
        raise UserError(f"default-rule tool {tool}: printed no tactic for M = {shown} "
                        f"(shape {shape})")
    return picks


@dataclass(frozen=True)
class Priced:
    """One row under a rule: the tactic it runs and its loss (None: not timed on the row)."""

    row: Row
    tactic: str
    loss: float | None


def price_rule(rows: list[Row], pick: Callable[[Row], str]) -> list[Priced]:
    """Each row's loss under `pick`, against the fastest tactic timed on it (0.05 = 5%)."""
    priced = []
    for r in rows:
        tactic = pick(r)
        us = r.times.get(tactic)
        priced.append(Priced(r, tactic, None if us is None else us / r.best_us - 1))
    return priced


def fix_pick_everywhere(picks: dict[tuple[str, int], str]) -> Callable[[Row], str]:
    """The series' pick at every M: what a caller without the GEMV gets with no tuned tactic."""
    return lambda r: picks[(r.label, r.m)]


def gemv_then_fix_pick(picks: dict[tuple[str, int], str]) -> Callable[[Row], str]:
    """The GEMV below M = 5 where it was timed, else the series' pick."""
    return lambda r: (GEMV_TACTIC if r.m < GEMV_BELOW_M and GEMV_TACTIC in r.times
                      else picks[(r.label, r.m)])


def _median(values: list[float]) -> float:
    """The median every table here reports: the upper middle of the sorted values."""
    return sorted(values)[len(values) // 2]


def _summary(name: str, priced: list[Priced]) -> str:
    timed = [p for p in priced if p.loss is not None]
    untimed = len(priced) - len(timed)
    if not timed:
        return f"- {name}: not timed on any of the {len(priced)} problems."
    near = sum(1 for p in timed if p.loss <= NEAR_BEST + 1e-9)
    worst = max(timed, key=lambda p: p.loss)
    return (f"- {name}: {near} of {len(timed)} problems within 5% of best, median loss "
            f"{100 * _median([p.loss for p in timed]):.0f}%, worst "
            f"{100 * worst.loss:.0f}% ({worst.row.label}, M = {worst.row.m}); "
            f"{untimed} not timed.")


def _per_m(name: str, priced: list[Priced]) -> list[str]:
    out = [f"{name}, per M (default: TensorRT-LLM's default at that M, for comparison):", "",
           "| M | pick | timed / problems | median loss | worst loss | default median loss |",
           "| ---: | --- | ---: | ---: | --- | ---: |"]
    for m in sorted({p.row.m for p in priced}):
        at_m = [p for p in priced if p.row.m == m]
        counts = Counter(p.tactic for p in at_m)
        pick = (at_m[0].tactic if len(counts) == 1 else
                " / ".join(f"{t} on {n}" for t, n in counts.most_common()))
        timed = [p for p in at_m if p.loss is not None]
        defaults = [p.row.default_loss for p in at_m if p.row.default_loss is not None]
        default = f"{100 * _median(defaults):.0f}%" if defaults else "-"
        if timed:
            worst = max(timed, key=lambda p: p.loss)
            median = f"{100 * _median([p.loss for p in timed]):.0f}%"
            worst_text = f"{100 * worst.loss:.0f}% ({worst.row.label})"
        else:
            median, worst_text = "-", "-"
        out.append(f"| {m} | {pick} | {len(timed)} / {len(at_m)} | {median} | {worst_text} "
                   f"| {default} |")
    return out


def default_rules(rows: list[Row], picks: dict[tuple[str, int], str], tool: Path) -> str:
    """The series' default, alone and behind the GEMV, against TensorRT-LLM's default."""
    everywhere = price_rule(rows, fix_pick_everywhere(picks))
    behind_gemv = price_rule(rows, gemv_then_fix_pick(picks))
    default = [Priced(r, r.default_tactic, r.default_loss) for r in rows]
    first = ("the series' pick everywhere (a caller without the GEMV, e.g. the torch op "
             "untuned)")
    second = ("the GEMV below M = 5 where timed, else the series' pick "
              "(the fixed rule of TensorRT-LLM's older weight-only plugins)")
    out = [f"The series' default for a caller that passes no profiled tactic, per problem as "
           f"{tool} reports it, priced against the fastest tactic timed on each row (a pick "
           "not timed on a row leaves it out). These rules are fixed, not learned from the "
           "records, so no shape is held out.", "",
           _summary("TensorRT-LLM's default (the GEMV below M = 5, else config 0)", default),
           _summary(first, everywhere),
           _summary(second, behind_gemv), ""]
    out += _per_m("The series' pick everywhere", everywhere) + [""]
    out += _per_m("The GEMV below M = 5 where timed, else the series' pick", behind_gemv)
    return "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("records", nargs="+", type=Path,
                        help="JSONL files written by the bench binary's --out (or those files "
                        "gzip-compressed, named *.gz)")
    parser.add_argument("--default-rule-tool", type=Path, metavar="PATH",
                        help="the w4a16SM90Tool (built next to the test binary) whose "
                        "--w4a16_default_config mode gives the series' default pick per "
                        "problem (fixes 0006 and 0009: the tactic a caller that passes no "
                        "profiled tactic gets); prices that pick, and the GEMV below M = 5 "
                        "else that pick, against the fastest tactic timed on each row. Host "
                        "only, no GPU")
    parser.add_argument("--variant", metavar="NAME",
                        help="read only the records of this build from a `w4a16 lab variants` "
                        "records.jsonl (which holds every variant's, tagged); without it such "
                        "a file is refused rather than mixed")
    parser.add_argument("--sms", type=positive(int), metavar="N",
                        help="the SM count the default rule is asked for (default: the one "
                        "the records' device record names)")
    parser.add_argument("--out", type=Path, help="also write the table to this file")


def run(args: argparse.Namespace) -> int:
    """Tabulate the crossover and the held-out pricing; print it (and write --out)."""
    records = read_records(args.records, getattr(args, "variant", None))
    rows = records.rows
    text = table(rows) + "\n" + held_out(rows)
    tool = getattr(args, "default_rule_tool", None)
    if tool is not None:
        sms = (args.sms if getattr(args, "sms", None) is not None
               else one_sm_count(records.sm_counts))
        picks = default_rule_picks(tool, rows, sms)
        text += "\n" + default_rules(rows, picks, tool)
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
