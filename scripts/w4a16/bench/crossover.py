"""Where TensorRT-LLM's CUDA-core GEMV and its SM90 CUTLASS tactics cross over, per shape and M.

Reads the records the bench binary writes (`w4a16SM90Bench --out FILE`, one JSON object a
line) and tabulates, per (shape, M): the GEMV's median time, the fastest CUTLASS tactic and
its time, which is faster, and what TensorRT-LLM's default (the GEMV below its weight-only
plugins' small-M fast path, else the heuristic's first config) loses against the fastest
tactic measured. Only tactics compiled into the timed binary compete.

    python3 -m w4a16.bench.crossover RECORDS.jsonl [...] [--out table.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

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
                        timed.get(default)))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m w4a16.bench.crossover",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("records", nargs="+", type=Path,
                        help="JSONL files written by the bench binary's --out")
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)
    try:
        text = table(read_rows(args.records))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.out:
        args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
