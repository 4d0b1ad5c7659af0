"""`w4a16 try M N K`: one GEMM on fresh random data, every compiled tactic once, in seconds.

For each tactic: its time, its error against the float64 reference, pass or fail, and which
tactic TensorRT-LLM would take without profiling (config 0 of its heuristic's list, or the
CUDA-core GEMV for M < 5 where the binary has it). Built from the existing pieces, one way
each: the error comes from the test binary's case mode judged by the error model of
w4a16.reference (as py_tests/reference does), the time from one run of the bench binary on
this shape (as `w4a16 bench` does, with a shorter sampling budget). Needs an SM90 GPU and
both binaries (`w4a16 build --no-run` builds them); torch (CPU is enough) for the reference.
Exit status: 0 when every compiled tactic passed, 1 when one failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from w4a16 import gpu, paths
from w4a16.argtypes import positive
from w4a16.bench import binary, ranking, shapes
from w4a16.bench.timing import Plan
from w4a16.casefiles import Case, CaseResult, CaseSpec, random_case, run_case, write_case
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.reference import CheckResult, Reference, check_output
from w4a16.tactics import GEMV_TACTIC

# Sampling time per tactic: a third of the sweep's, enough for a median at this one shape.
BUDGET_MS = 5.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("m", type=positive(int), metavar="M", help="tokens (rows of A and out)")
    p.add_argument("n", type=positive(int), metavar="N",
                   help="output columns (weight N), a multiple of 8")
    p.add_argument("k", type=positive(int), metavar="K",
                   help="reduction size (weight K), a multiple of the group")
    p.add_argument("--dtype", default="fp16", choices=shapes.DTYPES,
                   help="activation and output type (default fp16)")
    p.add_argument("--group", type=int, default=shapes.GROUP,
                   help=f"quantization group size, a multiple of 64 (default {shapes.GROUP})")
    p.add_argument("--quant-op", default=shapes.QUANT, choices=shapes.QUANT_OPS,
                   help=f"scale_only or scale_zeros (default {shapes.QUANT})")
    p.add_argument("--binary", type=Path, default=None,
                   help="the test binary whose case mode computes the outputs (default: "
                   "$W4A16_BINARY, else build/full's or build/slim's, the one built last)")
    p.add_argument("--bench-binary", type=Path, default=None,
                   help="the bench binary that times the tactics (default: "
                   "$W4A16_BENCH_BINARY, else build/full's or build/slim's, the one built last)")
    p.add_argument("--seed", type=int, default=None,
                   help="random seed of the inputs (default: a fresh one, printed so the run "
                   "can be repeated)")
    p.add_argument("--budget-ms", type=positive(float), default=BUDGET_MS,
                   help=f"sampling time per tactic in the bench binary (default {BUDGET_MS:g})")
    p.add_argument("--json", action="store_true",
                   help="print the result as one JSON document instead of the table")


def _spec(args: argparse.Namespace) -> CaseSpec:
    shapes.check_group(args.group)
    spec = CaseSpec(m=args.m, n=args.n, k=args.k, group_size=args.group, dtype=args.dtype,
                    quant_op=shapes.check_quant(args.quant_op))
    spec.validate()
    return spec


def _binaries(args: argparse.Namespace) -> tuple[Path, Path]:
    test = args.binary or paths.default_binary()
    bench = args.bench_binary or binary.default_binary()
    for path, flag in ((test, "--binary"), (bench, "--bench-binary")):
        if not Path(path).is_file():
            raise UserError(f"{path} not found: build it with `w4a16 build --no-run` or pass "
                            f"{flag}")
    return Path(test), Path(bench)


def _torch_device() -> str:
    """Where the float64 reference is computed: the GPU when torch can use it (a large shape
    takes minutes on a CPU), else the CPU."""
    try:
        import torch
    except ImportError:
        raise UserError("w4a16 try needs torch for the reference (pip install torch; the CPU "
                        "build is enough)") from None
    return "cuda" if torch.cuda.is_available() else "cpu"


def _time(bench: Path, spec: CaseSpec, seed: int, budget_ms: float,
          workdir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The bench binary's problem record and tactic records for this one shape."""
    cmd = binary.command(bench, shapes.custom_shape(spec.n, spec.k), (spec.m,), spec.dtype,
                         spec.group_size, spec.quant_op, Plan(budget_ms=budget_ms), "all", seed)
    records = binary.run(cmd, workdir / "bench_binary.log", lambda record: None)
    problem = next((r for r in records if r["record"] == "problem"), {})
    return problem, [r for r in records if r["record"] == "tactic"]


def _checks(case: Case, result: CaseResult, device: str) -> dict[str, CheckResult]:
    """Each tactic's output judged with the error model of its accumulation; the reference
    is computed once per accumulation (fp32 for every CUTLASS tactic, chains for the GEMV)."""
    refs: dict[str, Reference] = {}
    out = {}
    for t in result.tactics:
        if t.status != "ok":
            continue
        key = GEMV_TACTIC if t.name == GEMV_TACTIC else "fp32"
        if key not in refs:
            refs[key] = case.reference_for(t.name, device)
        out[t.name] = check_output(result.output(t, case.spec.m, case.spec.n), refs[key])
    return out


def _verdict(status: str, check: CheckResult | None) -> str:
    if status == "ok" and check is not None:
        return "pass" if check.passed else "fail"
    return status.replace("_", " ")


def rows_of(result: CaseResult, checks: dict[str, CheckResult],
            timings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per tactic either binary reported, in the heuristic's order."""
    by_name = {str(t["tactic"]): t for t in timings}
    names = list(dict.fromkeys([t.name for t in result.tactics] + list(by_name)))
    rows = []
    for position, name in enumerate(names):
        case = result.get(name)
        timed = by_name.get(name, {})
        check = checks.get(name)
        status = case.status if case else "not_compiled"
        row: dict[str, Any] = {
            "config_index": int(timed.get("config_index", position)),
            "tactic": name,
            "status": status,
            "check": _verdict(status, check),
            "message": case.message if case else "not in the test binary",
            "rel_error": check.rel_error if check else None,
            "rel_bound": check.rel_bound if check else None,
            "max_violation": check.max_violation if check else None,
            "nan_count": check.nan_count if check else None,
            "time_status": timed.get("status", "absent"),
            "time_message": timed.get("message", "not in the bench binary" if not timed else ""),
            "median_us": timed.get("median_us") if timed.get("status") == "ok" else None,
            "min_us": timed.get("min_us") if timed.get("status") == "ok" else None,
            "samples": timed.get("samples"),
        }
        rows.append(row)
    return sorted(rows, key=lambda r: r["config_index"])


def summarize(m: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The default, the fastest, and the verdict over every compiled tactic."""
    default = ranking.trtllm_default(m, rows)
    ranked = ranking.timed({**r, "status": r["time_status"]} for r in rows)
    best = ranked[0] if ranked else None
    by_name = {r["tactic"]: r for r in rows}
    default_us = by_name[default]["median_us"] if default in by_name else None
    best_us = best["median_us"] if best else None
    loss_us, loss = ranking.loss(default_us, best_us)
    for r in rows:
        r["default"] = r["tactic"] == default
        r["best"] = best is not None and r["tactic"] == best["tactic"]
        r["vs_best"] = r["median_us"] / best_us if r["median_us"] and best_us else None
    compiled = [r for r in rows if r["status"] != "not_compiled"]
    return {
        "default_tactic": default, "default_us": default_us,
        "best_tactic": best["tactic"] if best else None, "best_us": best_us,
        "default_loss_us": loss_us, "default_loss": loss,
        "compiled": len(compiled), "passed": sum(r["check"] == "pass" for r in compiled),
        "failed": [r["tactic"] for r in compiled if r["check"] != "pass"],
    }


def run_try(args: argparse.Namespace) -> dict[str, Any]:
    """Everything `try` prints, as one document."""
    spec = _spec(args)
    test_binary, bench_binary = _binaries(args)
    why = gpu.sm90_reason()
    if why:
        raise UserError(f"w4a16 try needs an SM90 GPU: {why}")
    device = _torch_device()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    with tempfile.TemporaryDirectory(prefix="w4a16-try-") as tmp:
        work = Path(tmp)
        case = random_case(spec, seed)
        result = run_case(test_binary, write_case(work / "case", case))
        problem, timings = _time(bench_binary, spec, seed, args.budget_ms, work)
        checks = _checks(case, result, device)
    rows = rows_of(result, checks, timings)
    summary = summarize(spec.m, rows)
    binary_default = problem.get("default_tactic")
    return {
        "tool": "w4a16 try",
        "problem": {"m": spec.m, "n": spec.n, "k": spec.k, "group": spec.group_size,
                    "dtype": spec.dtype, "quant_op": spec.quant_op, "seed": seed},
        "device": result.device,
        "binaries": {"test": str(test_binary), "bench": str(bench_binary)},
        "reference_device": device,
        **summary,
        # The bench binary applies the same rule; a difference means one of them is stale.
        "bench_default_tactic": binary_default,
        "tactics": rows,
    }


# ---- the table --------------------------------------------------------------------------

def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def table(doc: dict[str, Any]) -> str:
    """The short aligned table: compiled tactics only, in the heuristic's order."""
    p = doc["problem"]
    lines = [f"w4a16 try: M={p['m']} N={p['n']} K={p['k']} {p['dtype']} group {p['group']} "
             f"{p['quant_op']} seed {p['seed']} on {doc['device'] or '?'}", ""]
    header = ("cfg", "tactic", "time us", "vs best", "rel err", "bound", "elem/bound", "check",
              "")
    body = []
    for r in doc["tactics"]:
        if r["status"] == "not_compiled":
            continue
        time_text = (_num(r["median_us"], ".2f") if r["median_us"] is not None
                     else r["time_status"].replace("_", " "))
        marks = [m for m, on in (("default", r["default"]), ("best", r["best"])) if on]
        vs_best = "-" if r["vs_best"] is None else f"{r['vs_best']:.2f}x"
        body.append((str(r["config_index"]), r["tactic"], time_text, vs_best,
                     _num(r["rel_error"], ".2e"), _num(r["rel_bound"], ".2e"),
                     _num(r["max_violation"], ".2f"), r["check"], " ".join(marks)))
    right = {0, 2, 3, 4, 5, 6}
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    for row in [header, *body]:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines += ["", "rel err = ||out - ref|| / ||ref|| (passes up to bound); elem/bound = the worst "
              "element's error over its own bound (passes up to 1); time = median per launch"]
    if doc["default_tactic"]:
        loss = doc["default_loss"]
        if loss is None:
            verdict = ", not timed"
        elif doc["default_tactic"] == doc["best_tactic"]:
            verdict = ", the fastest"
        else:
            verdict = (f", {100 * loss:.0f}% slower than the best {doc['best_tactic']} "
                       f"({doc['best_us']:.2f} us)")
        lines.append(f"TensorRT-LLM's default: {doc['default_tactic']} "
                     f"({_num(doc['default_us'], '.2f')} us){verdict}")
    skipped = [r for r in doc["tactics"] if r["status"] == "not_compiled"]
    lines.append(f"{doc['passed']} of {doc['compiled']} compiled tactics pass the error model"
                 + (f"; failed: {', '.join(doc['failed'])}" if doc["failed"] else "")
                 + (f"; {len(skipped)} not compiled or not applicable (--json lists them)"
                    if skipped else ""))
    lines.append(f"same inputs again: --seed {p['seed']}")
    return "\n".join(lines)


def _cmd_try(args: argparse.Namespace) -> int:
    doc = run_try(args)
    if doc["compiled"] == 0:
        why = next((r["message"] for r in doc["tactics"] if r["message"]), "")
        raise UserError("no tactic of the test binary runs this problem" +
                        (f" (first: {why})" if why else ""))
    if doc["bench_default_tactic"] and doc["bench_default_tactic"] != doc["default_tactic"]:
        print(f"warning: the bench binary names {doc['bench_default_tactic']} as TensorRT-LLM's "
              f"default, this tool {doc['default_tactic']}", file=sys.stderr)
    print(json.dumps(doc, indent=1) if args.json else table(doc), flush=True)
    return 0 if not doc["failed"] else 1


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "try", help="one shape M N K, every tactic once: time, error, pass/fail, "
        "TensorRT-LLM's default", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=_cmd_try)


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.bench.try_cmd`: the same command without the `w4a16` front end."""
    parser = argparse.ArgumentParser(prog="python -m w4a16.bench.try_cmd", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run_guarded(_cmd_try, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
