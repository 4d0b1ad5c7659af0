"""Time build variants and launcher knob settings against each other, in one GPU run.

A plan (JSON) names bench binaries built from different sources (`w4a16 build
--kernel-fixes/--keep-asserts/--experiment-patch`) and variants: a binary, W4A16_X_* knob
settings, the tactics to time. Every variant runs on the same shapes and token counts, one
after the other on the same GPU, so the differences between them are what a decode-speed
report compares. Output: `binaries.json` (the SHA-256 of each binary), `records.jsonl`
(the binary's tactic records, tagged with the variant, written as they come),
`summary.json`, `variants.png` (each variant's best time against M, one panel per shape),
and a table of the best time per (shape, M) and variant, printed last.

With `"passes": N` every shape is timed N times, the variants in the plan's order and then in
reverse order in turn (A B, B A, A B, ...). A tactic's time is then the mean of its N medians,
and a further table gives each variant's ratio to the first in every pass, so a difference
the size of the run's noise shows as one. With `"baselines": true` the same run also measures
the roofline and times cuBLAS (torch) on every (shape, M), first (`baselines.json`), and a
further table gives each variant's speedup over cuBLAS and fraction of the memory/compute
floor: the numbers speed targets are stated in. `--from-records` rebuilds the tables and the
plot from those files alone, on any machine: for a run cut off at its time limit.

Plan format::

    {"binaries": {"base": "build/x-base/w4a16SM90Bench"},
     "shapes": ["llama2-70b/o", ...] or "all", "m": [1, 16, 64], "dtype": "fp16",
     "sampling": {"budget_ms": 10},                   # optional, w4a16.bench.timing.Sampling
     "baselines": true,                               # optional: roofline + cuBLAS
     "passes": 2,                                     # optional: times each shape is timed
     "builds": {"base": ["--tiles", "64x16", ...]},   # optional: `w4a16 build` arguments
     "variants": [{"name": "base", "binary": "base"},
                  {"name": "splitk2", "binary": "base", "tactics": "NAME,...", "m": [1],
                   "env": {"W4A16_X_DECOMP": "2", "W4A16_X_SPLITS": "2"}}]}

`"builds"` keeps, next to the plan, how each binary is made: the `w4a16 build` arguments that
produce it in its own folder (the binary's parent), so a fresh checkout on any machine can
build every binary the plan times (`ci/h100.py OUT build-plan --plan PLAN`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w4a16.bench import binary, roofline, shapes
from w4a16.bench.problem import Problem, Record, TacticRecord
from w4a16.bench.timing import Sampling
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.fingerprint import describe
from w4a16.lab import plots
from w4a16.tactics import parse_tactic_names


@dataclass(frozen=True)
class Variant:
    name: str
    binary: Path
    env: dict[str, str] = field(default_factory=dict)
    tactics: str = "all"
    ms: tuple[int, ...] | None = None  # None: the plan's token counts


@dataclass(frozen=True)
class Experiment:
    variants: list[Variant]
    shapes: list[shapes.WeightShape]
    ms: tuple[int, ...]
    dtype: str
    sampling: Sampling
    baselines: bool = False
    passes: int = 1  # each shape timed this many times, variants in alternating order

    def ms_of(self, variant: Variant) -> tuple[int, ...]:
        return variant.ms or self.ms

    def all_ms(self) -> tuple[int, ...]:
        return tuple(sorted({m for v in self.variants for m in self.ms_of(v)}))


def load_plan(path: Path, root: Path) -> Experiment:
    """Read and check a plan; binary paths are relative to `root` (the repository)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise UserError(f"cannot read plan {path}: {e}") from None
    bins = {k: (root / v) for k, v in doc.get("binaries", {}).items()}
    variants = []
    for v in doc.get("variants", []):
        if v.get("binary") not in bins:
            raise UserError(f"variant {v.get('name')!r} names binary {v.get('binary')!r}, "
                            f"not one of {sorted(bins)}")
        env = {str(k): str(x) for k, x in v.get("env", {}).items()}
        bad = [k for k in env if not k.startswith("W4A16_X_")]
        if bad:
            raise UserError(f"variant {v['name']!r}: only W4A16_X_* knobs allowed, got {bad}")
        ms = tuple(int(m) for m in v["m"]) if "m" in v else None
        picked = v.get("tactics", "all")
        if picked != "all":
            try:
                parse_tactic_names(picked)
            except UserError as e:
                raise UserError(f"variant {v['name']!r}: {e}") from None
        variants.append(Variant(v["name"], bins[v["binary"]], env, picked, ms))
    if not variants:
        raise UserError(f"plan {path} has no variants")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise UserError(f"plan {path} repeats a variant name")
    labels = doc.get("shapes", "all")
    # "all" keeps the default selection (committed plans mean that); any preset by its label.
    every = {s.label: s for s in shapes.shapes(shapes.MODELS)}
    if labels == "all":
        chosen = shapes.shapes()
    else:
        unknown = [x for x in labels if x not in every]
        if unknown:
            raise UserError(f"unknown shapes {unknown}; choose from {sorted(every)}")
        chosen = [every[x] for x in labels]
    ms = tuple(int(m) for m in doc.get("m", (1, 16, 64)))
    if doc.get("dtype", "fp16") not in shapes.DTYPES:
        raise UserError(f"dtype must be one of {shapes.DTYPES}")
    # The sampling settings: "sampling", or "plan" as the files in reports/ spell it.
    sampling = Sampling(**doc.get("sampling", doc.get("plan", {})))
    passes = doc.get("passes", 1)
    if not isinstance(passes, int) or isinstance(passes, bool) or not 1 <= passes <= 10:
        raise UserError(f"plan {path}: passes must be a whole number from 1 to 10, "
                        f"got {passes!r}")
    return Experiment(variants, chosen, ms, doc.get("dtype", "fp16"), sampling,
                      bool(doc.get("baselines", False)), passes)


# Set by whoever runs a plan's builds, not by the plan: where and how the build happens.
_RECIPE_RESERVED = ("--build-dir", "--no-run", "--offline", "--jobs", "-j", "--in-tree")


def load_build_recipes(path: Path, root: Path) -> dict[str, tuple[Path, list[str]]]:
    """A plan's "builds": binary name -> (its build folder, the `w4a16 build` arguments)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise UserError(f"cannot read plan {path}: {e}") from None
    bins = doc.get("binaries", {})
    recipes: dict[str, tuple[Path, list[str]]] = {}
    for name, argv in doc.get("builds", {}).items():
        if name not in bins:
            raise UserError(f"plan {path}: build {name!r} is not one of its binaries "
                            f"{sorted(bins)}")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise UserError(f"plan {path}: build {name!r} must be a list of strings")
        bad = [a for a in argv if a.split("=", 1)[0] in _RECIPE_RESERVED]
        if bad:
            raise UserError(f"plan {path}: build {name!r} sets {bad}, which the caller "
                            "chooses (the folder is the binary's parent)")
        recipes[name] = ((root / bins[name]).parent, list(argv))
    return recipes


def best_by_problem(records: list[dict[str, Any]],
                    pass_no: int | None = None) -> dict[tuple[str, int, str], dict[str, Any]]:
    """(label, m, variant) -> the fastest ok tactic record. A tactic timed in several passes
    counts with the mean of its medians (the record's `median_us`; `pass_us` lists them);
    `pass_no` keeps one pass only. Records without a pass number are pass 1."""
    times: dict[tuple[str, int, str, str], list[dict[str, Any]]] = {}
    for r in records:
        if r.get("status") != "ok" or (pass_no is not None and r.get("pass", 1) != pass_no):
            continue
        times.setdefault((r["label"], r["m"], r["variant"], r["tactic"]), []).append(r)
    best: dict[tuple[str, int, str], dict[str, Any]] = {}
    for (label, m, variant, _), runs in times.items():
        merged = {**runs[0], "median_us": statistics.fmean(r["median_us"] for r in runs),
                  "pass_us": [r["median_us"] for r in runs]}
        key = (label, m, variant)
        if key not in best or merged["median_us"] < best[key]["median_us"]:
            best[key] = merged
    return best


# Tactic outcomes that say nothing about a variant's correctness: everything else that is not
# "ok" (nonfinite or unwritten outputs, a launch error, ...) is a failure of that variant.
NEUTRAL_STATUSES = ("ok", "not_compiled", "skipped")
FAILED_MARK = "!"


def failures_by_problem(records: list[dict[str, Any]]) -> dict[tuple[str, int, str], list[str]]:
    """(label, m, variant) -> "tactic: status message" of each tactic that failed there."""
    failed: dict[tuple[str, int, str], list[str]] = {}
    for r in records:
        if r.get("status") not in NEUTRAL_STATUSES:
            failed.setdefault((r["label"], r["m"], r["variant"]), []).append(
                f"{r.get('tactic')}: {r.get('status')} {r.get('message', '')}".strip())
    return failed


def _legend(failed: dict[tuple[str, int, str], list[str]]) -> list[str]:
    if not failed:
        return []
    return [f"{FAILED_MARK} = some tactics of that variant FAILED there (wrong or unwritten "
            f"outputs, errors: {sum(map(len, failed.values()))} in all, listed in "
            "summary.json \"failures\"); its time is the best of the rest and is no result"]


def table(exp: Experiment, best: dict[tuple[str, int, str], dict[str, Any]],
          failed: dict[tuple[str, int, str], list[str]] | None = None) -> str:
    """Best time per (shape, M) for each variant (a tactic's median, or the mean of its
    medians over the passes), with its ratio to the first variant; a variant with failed
    tactics on a row is marked, so a fast broken kernel cannot pass as a win."""
    failed = failed or {}
    names = [v.name for v in exp.variants]
    head = f"{'shape':<18}{'M':>5} " + " ".join(f"{n[:14]:>15}" for n in names)
    lines = [*_legend(failed), head, "-" * len(head)]
    for s in exp.shapes:
        for m in exp.all_ms():
            ref = best.get((s.label, m, names[0]))
            cells = []
            for n in names:
                r = best.get((s.label, m, n))
                mark = FAILED_MARK if (s.label, m, n) in failed else ""
                if r is None:
                    cells.append(f"{'-' + mark:>15}")
                elif ref is None or n == names[0]:
                    cells.append(f"{r['median_us']:>12.1f}us{mark or ' '}")
                else:
                    gain = ref["median_us"] / r["median_us"]
                    cells.append(f"{r['median_us']:>7.1f}({gain:4.2f}x){mark}")
            lines.append(f"{s.label:<18}{m:>5} " + " ".join(cells))
    return "\n".join(lines)


def pass_table(exp: Experiment, records: list[dict[str, Any]]) -> str:
    """Each variant's best time over the first variant's, pass by pass ("/"-separated): how
    far the same comparison moves between passes."""
    names = [v.name for v in exp.variants]
    per_pass = [best_by_problem(records, p) for p in range(1, exp.passes + 1)]
    head = f"{'shape':<18}{'M':>5} " + " ".join(f"{n[:22]:>23}" for n in names[1:])
    lines = [f"{names[0]} over each variant, pass by pass (passes alternate the variants' order)",
             head, "-" * len(head)]
    for s in exp.shapes:
        for m in exp.all_ms():
            cells = []
            for n in names[1:]:
                ratios = []
                for best in per_pass:
                    ref, r = best.get((s.label, m, names[0])), best.get((s.label, m, n))
                    ratios.append("-" if ref is None or r is None
                                  else f"{ref['median_us'] / r['median_us']:.3f}")
                cells.append(f"{' / '.join(ratios):>23}")
            lines.append(f"{s.label:<18}{m:>5} " + " ".join(cells))
    return "\n".join(lines)


def measure_baselines(exp: Experiment) -> dict[str, Any]:
    """This GPU's roofline, and cuBLAS (torch) on every (shape, M) of the experiment."""
    from w4a16.bench import torch_baselines

    torch = torch_baselines.load_torch()
    machine = torch_baselines.measure_machine(torch).to_json()
    l2 = torch_baselines.l2_bytes(torch)
    cublas = []
    for s in exp.shapes:
        for m in exp.all_ms():
            problem = Problem.of(s, m, exp.dtype, shapes.GROUP, shapes.QUANT)
            r = torch_baselines.time_cublas(torch, problem, l2, exp.sampling).to_json()
            cublas.append({"label": s.label, "m": m, **r})
            print(f"[experiment] cuBLAS {s.label} M={m}: {r.get('median_us', r.get('status'))}",
                  flush=True)
    torch.cuda.empty_cache()
    return {"machine": machine, "cublas": cublas}


def target_table(exp: Experiment, best: dict[tuple[str, int, str], dict[str, Any]],
                 base: dict[str, Any],
                 failed: dict[tuple[str, int, str], list[str]] | None = None) -> str:
    """Per (shape, M): the floor, cuBLAS, and each variant's speedup over cuBLAS / fraction
    of the floor (best tactic), marked where the variant had failed tactics."""
    failed = failed or {}
    machine = base["machine"]
    cublas = {(c["label"], c["m"]): c.get("median_us") for c in base["cublas"]}
    names = [v.name for v in exp.variants]
    head = (f"{'shape':<18}{'M':>5}{'floor':>8}{'cuBLAS':>9} "
            + " ".join(f"{n[:16]:>17}" for n in names))
    lines = ["speedup over cuBLAS / fraction of the floor, best tactic of each variant",
             head, "-" * len(head)]
    for s in exp.shapes:
        for m in exp.all_ms():
            problem = Problem.of(s, m, exp.dtype, shapes.GROUP, shapes.QUANT)
            fl = roofline.floor(problem.bytes, problem.flops,
                                machine["copy_bandwidth_bytes_per_s"],
                                machine["matmul_flops_per_s"][exp.dtype]).us
            cb = cublas.get((s.label, m))
            cells = []
            for n in names:
                r = best.get((s.label, m, n))
                mark = FAILED_MARK if (s.label, m, n) in failed else " "
                if r is None or cb is None:
                    cells.append(f"{'-':>16}{mark}")
                else:
                    cells.append(f"{cb / r['median_us']:>8.2f}x {fl / r['median_us']:>5.0%}{mark}")
            cb_text = f"{cb:>8.1f}" if cb is not None else f"{'-':>8}"
            lines.append(f"{s.label:<18}{m:>5}{fl:>8.1f}{cb_text} " + " ".join(cells))
    return "\n".join(lines)


def time_variants(exp: Experiment, out: Path) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    started = time.monotonic()
    # Shape by shape, every variant in turn: variants are timed close together (less drift
    # between them), and a run cut off at its time limit loses whole shapes, not whole
    # variants (the last of which are the candidates). Each further pass over a shape reverses
    # the order, so whatever the order does to a variant's time falls on each in turn.
    jobs = [(p, v, s) for s in exp.shapes for p in range(1, exp.passes + 1)
            for v in (exp.variants if p % 2 else exp.variants[::-1])]
    with (out / "records.jsonl").open("w") as raw:
        for i, (p, v, s) in enumerate(jobs, 1):
            _run_job(exp, v, s, out, raw, records, p)
            run_of = f" pass {p}" if exp.passes > 1 else ""
            print(f"[experiment] {i}/{len(jobs)} {v.name} {s.label}{run_of} "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
    return records


def _run_job(exp: Experiment, v: Variant, s: shapes.WeightShape, out: Path, raw: Any,
             records: list[dict[str, Any]], pass_no: int = 1) -> None:
    """One variant on one shape: its tactic records, tagged, into `records` and `raw`."""
    problems = [Problem.of(s, m, exp.dtype, shapes.GROUP, shapes.QUANT) for m in exp.ms_of(v)]
    cmd = binary.command(v.binary, problems,
                         binary.RunOptions(sampling=exp.sampling, tactics=v.tactics))

    def keep(record: Record) -> None:
        if isinstance(record, TacticRecord):
            tagged = {**record.to_json(), "variant": v.name, "pass": pass_no}
            records.append(tagged)
            raw.write(json.dumps(tagged) + "\n")
            raw.flush()

    try:
        binary.run(cmd, out / "binary.log", keep, v.env)
    except UserError as e:  # one broken variant must not lose the others
        print(f"[experiment] {v.name} {s.label}: {e}", file=sys.stderr, flush=True)


def read_records(out: Path) -> list[dict[str, Any]]:
    """The tactic records an earlier run left in out/records.jsonl (one JSON object a line;
    a last line cut short by a killed run is dropped)."""
    path = out / "records.jsonl"
    if not path.is_file():
        raise UserError(f"{path} does not exist: nothing to rebuild the tables from")
    lines = path.read_text().splitlines()
    records = []
    for i, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i < len(lines):
                raise UserError(f"{path}:{i} is not a JSON record") from None
    return records


def _saved(out: Path, name: str) -> Any:
    """A JSON file a run wrote into `out` before timing (None when it did not)."""
    path = out / name
    return json.loads(path.read_text()) if path.is_file() else None


def write_outputs(exp: Experiment, records: list[dict[str, Any]], out: Path) -> str:
    """summary.json, table.txt and the plot from a run's records and the baselines.json and
    binaries.json it wrote first; returns the table text."""
    base = _saved(out, "baselines.json")
    best = best_by_problem(records)
    failed = failures_by_problem(records)
    done = {(r["variant"], r["label"]) for r in records}
    summary = {"passes": exp.passes,
               "best": [{"label": k[0], "m": k[1], "variant": k[2], "tactic": r["tactic"],
                         "median_us": r["median_us"], "pass_us": r["pass_us"]}
                        for k, r in sorted(best.items())],
               "failures": [{"label": k[0], "m": k[1], "variant": k[2], "tactics": v}
                            for k, v in sorted(failed.items())],
               "baselines": base,
               # jobs with no record: not reached by a run cut off at its time limit, or
               # a binary that failed before timing anything (binary.log says which)
               "jobs_without_records": [f"{v.name} {s.label}" for v in exp.variants
                                        for s in exp.shapes if (v.name, s.label) not in done],
               # which build each number came from: match against build_info.json
               "binaries": _saved(out, "binaries.json")}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    text = table(exp, best, failed)
    if exp.passes > 1 and len(exp.variants) > 1:
        text += "\n\n" + pass_table(exp, records)
    if base is not None:
        text += "\n\n" + target_table(exp, best, base, failed)
    (out / "table.txt").write_text(text + "\n")
    try:
        plots.plot_variants(summary["best"], [v.name for v in exp.variants],
                            base["cublas"] if base else None, out / plots.VARIANTS_PNG)
    except UserError as e:  # the numbers are written; a missing plotting library is not fatal
        print(f"[experiment] no plot: {e}", file=sys.stderr)
    return text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plan", type=Path, required=True, help="the plan JSON (format above)")
    p.add_argument("--out", type=Path, required=True,
                   help="folder for binaries.json, baselines.json, records.jsonl, "
                   "summary.json, table.txt, the plot and binary.log")
    p.add_argument("--root", type=Path, default=Path("."),
                   help="folder the plan's binary paths are relative to (default: .)")
    p.add_argument("--from-records", action="store_true",
                   help="time nothing: rebuild summary.json, table.txt and the plot from the "
                   "records.jsonl and baselines.json already in --out (no GPU needed), e.g. "
                   "after a run was cut off at its time limit")


def run(args: argparse.Namespace) -> int:
    """Time the plan's variants (or reread their records) and print the tables."""
    exp = load_plan(args.plan, args.root)
    if args.from_records:
        records = read_records(args.out)
    else:
        missing = sorted({str(v.binary) for v in exp.variants if not v.binary.is_file()})
        if missing:
            raise UserError(f"bench binaries not found: {', '.join(missing)}")
        args.out.mkdir(parents=True, exist_ok=True)
        # Written before timing, so a run cut off later still has them.
        hashes = describe({str(v.binary): v.binary for v in exp.variants})
        (args.out / "binaries.json").write_text(json.dumps(hashes, indent=1) + "\n")
        (args.out / "baselines.json").unlink(missing_ok=True)
        if exp.baselines:
            base = measure_baselines(exp)
            (args.out / "baselines.json").write_text(json.dumps(base, indent=1) + "\n")
        records = time_variants(exp, args.out)
    print(write_outputs(exp, records, args.out))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.lab.experiment`: the same as `w4a16 lab variants`."""
    p = argparse.ArgumentParser(prog="python -m w4a16.lab.experiment", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    return run_guarded(run, p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
