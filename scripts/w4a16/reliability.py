"""Reliability checks of a built test binary: repeated runs and compute-sanitizer.

* `w4a16 repeat`: run the whole suite N times with one fixed seed (same inputs each run),
  through the one gtest runner; compare pass/fail per case and, per tactic, whether its
  output is bit-for-bit identical across runs (the `output_hash` property).
* `w4a16 sanitize`: run a gtest filter of the test binary (or the workspace reproduction
  mode of the tool built beside it) under compute-sanitizer memcheck or racecheck and keep
  the log.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from w4a16 import paths
from w4a16.errors import UserError
from w4a16.sources import cuda_tool


@dataclass
class RepeatReport:
    runs: int
    outcomes_identical: bool
    outcome_changes: dict[str, list[str]] = field(default_factory=dict)
    # tactic -> (identical in every case?, number of cases whose hash changed)
    tactics: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"runs": self.runs, "outcomes_identical": self.outcomes_identical,
                "outcome_changes": self.outcome_changes, "tactics": self.tactics}


def _props(result) -> dict[str, str]:
    return dict(result.properties)


def compare_runs(runs: Sequence[dict]) -> RepeatReport:
    """Compare several runs' results (name -> CaseResult-like with outcome, properties)."""
    if len(runs) < 2:
        raise UserError("need at least two runs to compare")
    names = sorted(set().union(*(r.keys() for r in runs)))
    changes: dict[str, list[str]] = {}
    by_tactic: dict[str, dict[str, object]] = defaultdict(
        lambda: {"cases": 0, "changed_cases": 0, "identical": True, "examples": []})
    for name in names:
        outcomes = [r[name].outcome if name in r else "missing" for r in runs]
        if len(set(outcomes)) > 1:
            changes[name] = outcomes
        props = [_props(r[name]) for r in runs if name in r]
        tactic = props[0].get("tactic") if props else None
        hashes = [p.get("output_hash") for p in props]
        if tactic is None or any(h is None for h in hashes):
            continue
        entry = by_tactic[tactic]
        entry["cases"] = int(entry["cases"]) + 1
        if len(set(hashes)) > 1:
            entry["changed_cases"] = int(entry["changed_cases"]) + 1
            entry["identical"] = False
            examples = entry["examples"]
            assert isinstance(examples, list)
            if len(examples) < 3:
                examples.append({"case": name, "hashes": hashes,
                                 "rel_error": [p.get("rel_error") for p in props]})
    return RepeatReport(len(runs), not changes, changes, dict(by_tactic))


def repeat(binary: Path, runs: int, out_dir: Path, seed: int, gtest_filter: str,
           case_timeout: float) -> RepeatReport:
    from w4a16.gtest import runner

    out_dir.mkdir(parents=True, exist_ok=True)
    env = {"W4A16_SEED": str(seed), "TLLM_LOG_LEVEL": "WARNING"}
    results = []
    for i in range(runs):
        xml = out_dir / f"run{i + 1}.xml"
        print(f"[repeat] run {i + 1}/{runs} (seed {seed}) -> {xml}", flush=True)
        summary = runner.run_all(binary, xml, gtest_filter=gtest_filter,
                                 case_timeout=case_timeout, env={**os.environ, **env})
        print(f"[repeat] {summary}", flush=True)
        results.append(summary.results)
    report = compare_runs(results)
    (out_dir / "repeat_report.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    return report


def print_repeat(report: RepeatReport) -> None:
    print(f"pass/fail identical over {report.runs} runs: {report.outcomes_identical}")
    for name, outcomes in report.outcome_changes.items():
        print(f"  changed: {name}: {' -> '.join(outcomes)}")
    print(f"{'tactic':<48} {'cases':>5} {'bit-identical':>13}")
    for tactic in sorted(report.tactics):
        e = report.tactics[tactic]
        print(f"{tactic:<48} {e['cases']:>5} {'yes' if e['identical'] else 'NO':>13}")


def sanitizer_command(sanitizer: str, tool: str, binary: Path,
                      binary_args: Iterable[str]) -> list[str]:
    if tool not in ("memcheck", "racecheck", "initcheck", "synccheck"):
        raise UserError(f"unknown compute-sanitizer tool {tool!r}")
    return [sanitizer, "--tool", tool, "--error-exitcode", "99", "--print-limit", "50",
            str(binary), *binary_args]


def find_sanitizer(explicit: str | None) -> str:
    if explicit:
        if not Path(explicit).is_file():
            raise UserError(f"--sanitizer {explicit}: compute-sanitizer not found there")
        return explicit
    found = cuda_tool("compute-sanitizer")
    if found:
        return found
    raise UserError("compute-sanitizer not found: install the CUDA toolkit or pass --sanitizer")


def sanitize(binary: Path, tool: str, binary_args: list[str], log: Path,
             sanitizer: str | None, timeout: float) -> int:
    cmd = sanitizer_command(find_sanitizer(sanitizer), tool, binary, binary_args)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"[sanitize] $ {' '.join(cmd)}", flush=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "TLLM_LOG_LEVEL": "WARNING"})
    except subprocess.TimeoutExpired as exc:
        log.write_text(f"$ {' '.join(cmd)}\n(timed out after {timeout:.0f} s)\n{exc.stdout or ''}")
        raise UserError(f"compute-sanitizer timed out after {timeout:.0f} s; log: {log}") from None
    log.write_text(f"$ {' '.join(cmd)}\n(exit {proc.returncode})\n{proc.stdout}{proc.stderr}")
    print(f"[sanitize] exit {proc.returncode}; {summary_line(proc.stdout + proc.stderr)}; "
          f"log: {log}")
    return proc.returncode


def summary_line(output: str) -> str:
    """compute-sanitizer's closing verdict: memcheck, initcheck and synccheck print
    "ERROR SUMMARY", racecheck prints "RACECHECK SUMMARY"."""
    tail = [ln for ln in output.splitlines()
            if "ERROR SUMMARY" in ln or "RACECHECK SUMMARY" in ln]
    return tail[-1] if tail else "no summary line"


def _binary(args: argparse.Namespace) -> Path:
    binary = Path(args.binary) if args.binary else paths.default_binary()
    if not binary.is_file():
        raise UserError(f"test binary {binary} not found: build it with scripts/build.sh")
    return binary


def _cmd_repeat(args: argparse.Namespace) -> int:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    report = repeat(_binary(args), args.runs, args.out, seed, args.filter, args.case_timeout)
    print_repeat(report)
    return 0 if report.outcomes_identical else 1


def _cmd_sanitize(args: argparse.Namespace) -> int:
    binary = _binary(args)
    extra = [f"--gtest_filter={args.filter}"]
    if args.workspace_repro is not None:
        # a mode of the tool beside the test binary, not of the test binary itself
        binary = paths.tool_binary(binary)
        extra = [f"--w4a16_workspace_repro={args.workspace_repro}"]
    code = sanitize(binary, args.tool, extra, args.log, args.sanitizer, args.timeout)
    return 0 if code == 0 else 1


def add_command(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("repeat", help="run the suite N times with one seed; compare results "
                       "and per-tactic bit-identity", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("binary", nargs="?", help="test binary (default: $W4A16_BINARY, else "
                   "build/full's or build/slim's, the one built last)")
    r.add_argument("--runs", type=int, default=3, help="how many runs (default 3)")
    r.add_argument("--seed", type=int, help="W4A16_SEED for every run (default: random)")
    r.add_argument("--filter", default="*", help="gtest filter (default: all cases)")
    r.add_argument("--out", type=Path, default=Path("build/repeat"),
                   help="folder for each run's JUnit XML and repeat_report.json")
    r.add_argument("--case-timeout", type=float, default=300.0,
                   help="seconds one case may take (default 300)")
    r.set_defaults(func=_cmd_repeat)

    s = sub.add_parser("sanitize", help="run tests under compute-sanitizer (memcheck, "
                       "racecheck, ...)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("binary", nargs="?", help="test binary (default: $W4A16_BINARY, else "
                   "build/full's or build/slim's, the one built last)")
    s.add_argument("--tool", default="memcheck",
                   help="memcheck (default), racecheck, initcheck or synccheck")
    s.add_argument("--filter", default="GPU_*",
                   help="gtest filter of the cases to run (default: all GPU cases)")
    s.add_argument("--workspace-repro", type=int, metavar="BYTES",
                   help="instead of tests: run the stream-K tactics with BYTES of workspace, "
                   "without our size check (reproduces a too-small workspace); runs the "
                   "w4a16SM90Tool built beside the test binary")
    s.add_argument("--log", type=Path, default=Path("build/sanitize.log"),
                   help="where to write the sanitizer's full output")
    s.add_argument("--sanitizer", help="compute-sanitizer executable (default: PATH, "
                   "/usr/local/cuda/bin)")
    s.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds before the sanitizer run is killed (default 1800)")
    s.set_defaults(func=_cmd_sanitize)
