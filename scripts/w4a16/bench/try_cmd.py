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
from dataclasses import dataclass, fields
from pathlib import Path

from w4a16 import gpu, paths
from w4a16.argtypes import positive
from w4a16.bench import binary, ranking, shapes
from w4a16.bench.problem import (
    JsonObject,
    Problem,
    ProblemRecord,
    StreamRecord,
    TacticRecord,
    TacticResult,
)
from w4a16.bench.timing import Sampling
from w4a16.casefiles import Case, CaseFileResult, CaseSpec, random_case, run_case, write_case
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
    bench = args.bench_binary or binary.default_bench_binary()
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


def _time(bench: Path, spec: CaseSpec, seed: int, budget_ms: float, workdir: Path
          ) -> tuple[ProblemRecord | None, list[TacticResult], float | None]:
    """The bench binary's problem record, tactic results and stream floor (us, where it was
    timed) for this one problem."""
    problem = Problem(shapes.custom_shape(spec.n, spec.k).label, spec.m, spec.n, spec.k,
                      spec.dtype, spec.group_size, spec.quant_op)
    cmd = binary.command(bench, [problem],
                         binary.RunOptions(sampling=Sampling(budget_ms=budget_ms), seed=seed))
    records = binary.run(cmd, workdir / "bench_binary.log", lambda record: None)
    record = next((r for r in records if isinstance(r, ProblemRecord)), None)
    stream = next((r.result.median_us for r in records if isinstance(r, StreamRecord)), None)
    return record, [r.result for r in records if isinstance(r, TacticRecord)], stream


def _checks(case: Case, result: CaseFileResult, device: str) -> dict[str, CheckResult]:
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


@dataclass
class TryRow:
    """One tactic as `try` reports it: the case mode's verdict and the bench binary's time;
    `default`, `best` and `vs_best` are filled in by `summarize`."""

    config_index: int
    tactic: str
    status: str  # the test binary's (case mode) status
    check: str
    message: str
    rel_error: float | None
    rel_bound: float | None
    max_violation: float | None
    nan_count: int | None
    time_status: str  # the bench binary's status
    time_message: str
    median_us: float | None
    min_us: float | None
    samples: int | None
    default: bool = False
    best: bool = False
    vs_best: float | None = None

    def to_json(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def rows_of(result: CaseFileResult, checks: dict[str, CheckResult],
            timings: Sequence[TacticResult]) -> list[TryRow]:
    """One row per tactic either binary reported, in the heuristic's order."""
    by_name = {t.tactic: t for t in timings}
    names = list(dict.fromkeys([t.name for t in result.tactics] + list(by_name)))
    rows = []
    for position, name in enumerate(names):
        case = result.get(name)
        timed = by_name.get(name)
        check = checks.get(name)
        status = case.status if case else "not_compiled"
        ok = timed is not None and timed.status == "ok"
        rows.append(TryRow(
            config_index=(timed.config_index if timed and timed.config_index is not None
                          else position),
            tactic=name,
            status=status,
            check=_verdict(status, check),
            message=case.message if case else "not in the test binary",
            rel_error=check.rel_error if check else None,
            rel_bound=check.rel_bound if check else None,
            max_violation=check.max_violation if check else None,
            nan_count=check.nan_count if check else None,
            time_status=timed.status if timed else "absent",
            time_message=(timed.message or "") if timed else "not in the bench binary",
            median_us=timed.timing.median_us if ok and timed else None,
            min_us=timed.timing.min_us if ok and timed else None,
            samples=timed.timing.samples if timed else None,
        ))
    return sorted(rows, key=lambda r: r.config_index)


@dataclass(frozen=True)
class TrySummary:
    """The default, the fastest, and the verdict over every compiled tactic."""

    default_tactic: str | None
    default_us: float | None
    best_tactic: str | None
    best_us: float | None
    default_loss_us: float | None
    default_loss: float | None
    compiled: int
    passed: int
    failed: list[str]

    def to_json(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def summarize(m: int, rows: list[TryRow], timings: Sequence[TacticResult],
              binary_default: str | None = None) -> TrySummary:
    """The default (as the bench binary reported it; the rule where it did not), the fastest,
    and the verdict over every compiled tactic; marks the rows."""
    default = binary_default or ranking.trtllm_default(m, rows)
    ranked = ranking.timed(timings)
    best = ranked[0] if ranked else None
    by_name = {r.tactic: r for r in rows}
    default_us = by_name[default].median_us if default in by_name else None
    best_us = by_name[best.tactic].median_us if best and best.tactic in by_name else None
    loss_us, loss = ranking.loss(default_us, best_us)
    for r in rows:
        r.default = r.tactic == default
        r.best = best is not None and r.tactic == best.tactic
        r.vs_best = r.median_us / best_us if r.median_us and best_us else None
    compiled = [r for r in rows if r.status != "not_compiled"]
    return TrySummary(
        default_tactic=default, default_us=default_us,
        best_tactic=best.tactic if best else None, best_us=best_us,
        default_loss_us=loss_us, default_loss=loss,
        compiled=len(compiled), passed=sum(r.check == "pass" for r in compiled),
        failed=[r.tactic for r in compiled if r.check != "pass"],
    )


@dataclass(frozen=True)
class TryResult:
    """Everything `try` prints (`--json` writes `to_json()`)."""

    problem: JsonObject  # m, n, k, group, dtype, quant_op, seed
    device: str | None
    binaries: dict[str, str]
    reference_device: str
    summary: TrySummary
    bench_default_tactic: str | None
    tactics: list[TryRow]
    # The problem's stream floor: its bytes moved with no arithmetic, same method (bench.md).
    stream_us: float | None = None

    def to_json(self) -> JsonObject:
        return {"tool": "w4a16 try", "problem": self.problem, "device": self.device,
                "binaries": dict(self.binaries), "reference_device": self.reference_device,
                **self.summary.to_json(), "bench_default_tactic": self.bench_default_tactic,
                "stream_us": self.stream_us,
                "tactics": [r.to_json() for r in self.tactics]}


def run_try(args: argparse.Namespace) -> TryResult:
    """Everything `try` prints."""
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
        record, timings, stream_us = _time(bench_binary, spec, seed, args.budget_ms, work)
        checks = _checks(case, result, device)
    rows = rows_of(result, checks, timings)
    binary_default = record.default_tactic if record else None
    return TryResult(
        problem={"m": spec.m, "n": spec.n, "k": spec.k, "group": spec.group_size,
                 "dtype": spec.dtype, "quant_op": spec.quant_op, "seed": seed},
        device=result.device,
        binaries={"test": str(test_binary), "bench": str(bench_binary)},
        reference_device=device,
        summary=summarize(spec.m, rows, timings, binary_default),
        bench_default_tactic=binary_default,
        tactics=rows,
        stream_us=stream_us,
    )


# ---- the table --------------------------------------------------------------------------

def _num(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def table(doc: TryResult) -> str:
    """The short aligned table: compiled tactics only, in the heuristic's order."""
    p, summary = doc.problem, doc.summary
    lines = [f"w4a16 try: M={p['m']} N={p['n']} K={p['k']} {p['dtype']} group {p['group']} "
             f"{p['quant_op']} seed {p['seed']} on {doc.device or '?'}", ""]
    header = ("cfg", "tactic", "time us", "vs best", "rel err", "bound", "elem/bound", "check",
              "")
    body = []
    for r in doc.tactics:
        if r.status == "not_compiled":
            continue
        time_text = (_num(r.median_us, ".2f") if r.median_us is not None
                     else r.time_status.replace("_", " "))
        marks = [m for m, on in (("default", r.default), ("best", r.best)) if on]
        vs_best = "-" if r.vs_best is None else f"{r.vs_best:.2f}x"
        body.append((str(r.config_index), r.tactic, time_text, vs_best,
                     _num(r.rel_error, ".2e"), _num(r.rel_bound, ".2e"),
                     _num(r.max_violation, ".2f"), r.check, " ".join(marks)))
    right = {0, 2, 3, 4, 5, 6}
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    for row in [header, *body]:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines += ["", "rel err = ||out - ref|| / ||ref|| (passes up to bound); elem/bound = the worst "
              "element's error over its own bound (passes up to 1); time = median per launch"]
    if summary.default_tactic:
        loss = summary.default_loss
        if loss is None:
            verdict = ", not timed"
        elif summary.default_tactic == summary.best_tactic:
            verdict = ", the fastest"
        else:
            verdict = (f", {100 * loss:.0f}% slower than the best {summary.best_tactic} "
                       f"({_num(summary.best_us, '.2f')} us)")
        lines.append(f"TensorRT-LLM's default: {summary.default_tactic} "
                     f"({_num(summary.default_us, '.2f')} us){verdict}")
    if doc.stream_us is not None and summary.best_us is not None:
        lines.append(f"stream floor (this problem's bytes moved with no arithmetic): "
                     f"{doc.stream_us:.2f} us; the best tactic takes "
                     f"{summary.best_us / doc.stream_us:.2f}x that")
    skipped = [r for r in doc.tactics if r.status == "not_compiled"]
    lines.append(f"{summary.passed} of {summary.compiled} compiled tactics pass the error model"
                 + (f"; failed: {', '.join(summary.failed)}" if summary.failed else "")
                 + (f"; {len(skipped)} not compiled or not applicable (--json lists them)"
                    if skipped else ""))
    lines.append(f"same inputs again: --seed {p['seed']}")
    return "\n".join(lines)


def _cmd_try(args: argparse.Namespace) -> int:
    doc = run_try(args)
    if doc.summary.compiled == 0:
        why = next((r.message for r in doc.tactics if r.message), "")
        raise UserError("no tactic of the test binary runs this problem" +
                        (f" (first: {why})" if why else ""))
    print(json.dumps(doc.to_json(), indent=1) if args.json else table(doc), flush=True)
    return 0 if not doc.summary.failed else 1


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
