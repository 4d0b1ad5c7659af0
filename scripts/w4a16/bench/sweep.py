"""Run the sweep: roofline first, then per (shape, dtype) the torch baselines and the bench
binary, with a progress line per problem and the results rewritten after every shape (so a
run cut short still leaves a usable bench.json).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w4a16.bench import analysis, binary, plots, report, torch_baselines
from w4a16.bench.shapes import GROUP, QUANT, WeightShape
from w4a16.bench.timing import Plan
from w4a16.errors import UserError
from w4a16.fingerprint import describe

PROBLEM_KEYS = ("record", "label", "m", "n", "k", "group", "dtype", "quant")
RAW_NAME = "bench_records.jsonl"
LOG_NAME = "bench_binary.log"


@dataclass
class Settings:
    out_dir: Path
    binary: Path
    shapes: list[WeightShape]
    ms: tuple[int, ...]
    dtypes: tuple[str, ...]
    group: int = GROUP
    quant: str = QUANT
    plan: Plan = field(default_factory=Plan)
    tactics: str = "all"
    int4pack: bool = True
    seed: int = 1234
    time_limit_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"binary": str(self.binary), "shapes": [s.label for s in self.shapes],
                "ms": list(self.ms), "dtypes": list(self.dtypes), "group": self.group,
                "quant": self.quant, "plan": self.plan.to_json(), "tactics": self.tactics,
                "int4pack": self.int4pack, "seed": self.seed, "time_limit_s": self.time_limit_s}


def _say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def new_problem(shape: WeightShape, record: dict[str, Any]) -> dict[str, Any]:
    """A result entry from the binary's `problem` record (tactic records are added later)."""
    problem = {"model": shape.model, "layer": shape.layer}
    problem.update({k: v for k, v in record.items() if k != "record"})
    problem["tactics"] = []
    return problem


def tactic_entry(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in PROBLEM_KEYS}


def progress_line(problem: dict[str, Any], machine: dict[str, Any]) -> str:
    a = analysis.analyse(problem, machine)
    best = a["best_tactic"] or "none timed"

    def us(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f} us"

    frac = a["fraction_of_floor_best"]
    speed = a["speedup_best_vs_cublas"]
    return (f"M={problem['m']:<5} best {best} {us(a['best_us'])} "
            f"({'-' if frac is None else format(frac, '.0%')} of floor), "
            f"default {us(a['default_us'])}, cuBLAS {us(a['cublas_us'])}"
            + ("" if speed is None else f" -> {speed:.2f}x"))


class Sweep:
    """One run; `doc` is the JSON document the report is made from."""

    def __init__(self, settings: Settings, argv: list[str]) -> None:
        self.s = settings
        self.doc: dict[str, Any] = {
            "version": 1, "tool": "w4a16 bench", "command": " ".join(argv),
            "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "seconds": 0.0, "settings": settings.to_json(),
            # the binary's hash: which build (build_info.json "outputs") the numbers are of
            "binary": describe({"bench": settings.binary})["bench"],
            "device": {}, "machine": {}, "problems": [], "errors": [],
        }
        self.start = time.monotonic()

    def _save(self) -> None:
        self.doc["seconds"] = time.monotonic() - self.start
        report.write_json(self.doc, self.s.out_dir / report.JSON_NAME)

    def _baselines(self, torch: Any, shape: WeightShape, dtype: str, l2: int) -> dict[int, Any]:
        out = {}
        for m in self.s.ms:
            entry = {"cublas": torch_baselines.time_cublas(
                torch, m, shape.n, shape.k, dtype, l2, self.s.plan, self.s.seed)}
            if self.s.int4pack:
                entry["int4pack"] = torch_baselines.time_int4pack(
                    torch, m, shape.n, shape.k, self.s.group, dtype, l2, self.s.plan, self.s.seed)
            else:
                entry["int4pack"] = {"status": "skipped", "reason": "--no-int4pack"}
            out[m] = entry
        torch.cuda.empty_cache()  # leave the GPU memory to the bench binary
        return out

    def _job(self, torch: Any, shape: WeightShape, dtype: str, l2: int,
             raw: Any, on_problem: Callable[[dict[str, Any]], None]) -> None:
        baselines = self._baselines(torch, shape, dtype, l2)
        current: list[dict[str, Any]] = []

        def finish() -> None:
            if current:
                problem = current.pop()
                problem.update(baselines.get(int(problem["m"]), {}))
                self.doc["problems"].append(problem)
                on_problem(problem)

        def on_record(record: dict[str, Any]) -> None:
            raw.write(json.dumps(record) + "\n")
            kind = record["record"]
            if kind == "device":
                self.doc["device"].update({k: v for k, v in record.items() if k != "record"})
            elif kind == "problem":
                finish()
                current.append(new_problem(shape, record))
            elif kind == "tactic" and current:
                current[0]["tactics"].append(tactic_entry(record))

        cmd = binary.command(self.s.binary, shape, self.s.ms, dtype, self.s.group, self.s.quant,
                             self.s.plan, self.s.tactics, self.s.seed)
        try:
            binary.run(cmd, self.s.out_dir / LOG_NAME, on_record)
        finally:
            finish()

    def run(self) -> dict[str, Any]:
        s = self.s
        if not s.binary.is_file():
            raise UserError(f"bench binary {s.binary} not found: build it with "
                            "`w4a16 build --no-run` or pass --binary")
        s.out_dir.mkdir(parents=True, exist_ok=True)
        torch = torch_baselines.load_torch()
        l2 = torch_baselines.l2_bytes(torch)
        self.doc["device"] = {"name": torch.cuda.get_device_name(0), "torch": torch.__version__,
                              "l2_bytes": l2}
        _say(f"{self.doc['device']['name']}: measuring copy bandwidth and matmul rate")
        machine = torch_baselines.measure_machine(torch)
        self.doc["machine"] = machine
        _say(f"copy {machine['copy_bandwidth_bytes_per_s'] / 1e12:.2f} TB/s, matmul "
             + ", ".join(f"{k} {v / 1e12:.0f} TFLOP/s"
                         for k, v in machine["matmul_flops_per_s"].items()))
        jobs = [(shape, dtype) for dtype in s.dtypes for shape in s.shapes]
        total = len(jobs) * len(s.ms)
        with (s.out_dir / RAW_NAME).open("w") as raw:
            for j, (shape, dtype) in enumerate(jobs, 1):
                elapsed = time.monotonic() - self.start
                if s.time_limit_s is not None and elapsed > s.time_limit_s:
                    left = ", ".join(f"{sh.label} {dt_}" for sh, dt_ in jobs[j - 1:])
                    self.doc["errors"].append({"job": "time limit", "message": (
                        f"--time-limit {s.time_limit_s:g} s reached after {elapsed:.0f} s; "
                        f"not run: {left}")})
                    _say(f"time limit reached after {elapsed:.0f} s: stopping early")
                    break
                _say(f"({j}/{len(jobs)}, {elapsed:.0f} s) {shape.label} {dtype} N={shape.n} "
                     f"K={shape.k}: cuBLAS{' + torch int4' if s.int4pack else ''}, then "
                     f"the tactics")

                def on_problem(problem: dict[str, Any]) -> None:
                    done = len(self.doc["problems"])
                    _say(f"  [{done}/{total}] {progress_line(problem, machine)}")

                try:
                    self._job(torch, shape, dtype, l2, raw, on_problem)
                except UserError as exc:
                    self.doc["errors"].append({"job": f"{shape.label} {dtype}",
                                               "message": str(exc)})
                    print(f"[bench] error: {exc}", file=sys.stderr, flush=True)
                self._save()
        self.doc["seconds"] = time.monotonic() - self.start
        return self.doc


def finish_report(doc: dict[str, Any], out_dir: Path) -> list[Path]:
    """bench.json, report.md and the PNGs (skipped with a warning if matplotlib is missing:
    the numbers matter more than the pictures, and --report-only can draw them later)."""
    written = report.write_report(doc, out_dir)
    try:
        written += plots.write_plots(doc["problems"], out_dir)
    except UserError as exc:
        print(f"[bench] warning: no plots: {exc}", file=sys.stderr, flush=True)
    return written
