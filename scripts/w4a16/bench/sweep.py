"""Run the sweep: roofline first, then per (shape, dtype) job the torch baselines and the
bench binary, with a progress line per problem and the results rewritten after every job (so a
run cut short still leaves a usable bench.json).

With several GPUs (`Settings.gpus`) each GPU takes the next job from one queue: its torch
baselines (in this process, on that GPU) and then one bench-binary process pinned to it with
CUDA_VISIBLE_DEVICES. The merged results keep the order of a one-GPU run, and bench.json's
`jobs` says which GPU ran each job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from w4a16.bench import analysis, binary, gpus, plots, report, torch_baselines
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
    # GPU indices as this process sees them; () runs on the default GPU without pinning.
    gpus: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"binary": str(self.binary), "shapes": [s.label for s in self.shapes],
                "shape_sizes": {s.label: [s.n, s.k] for s in self.shapes},
                "ms": list(self.ms), "dtypes": list(self.dtypes), "group": self.group,
                "quant": self.quant, "plan": self.plan.to_json(), "tactics": self.tactics,
                "int4pack": self.int4pack, "seed": self.seed, "time_limit_s": self.time_limit_s,
                "gpus": list(self.gpus)}

    def log_name(self, gpu: int | None) -> str:
        """One log per GPU when several run at once, so each binary's stderr stays whole."""
        return LOG_NAME if len(self.gpus) <= 1 or gpu is None else f"bench_binary_gpu{gpu}.log"


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


@dataclass
class Job:
    """One (shape, dtype): one bench-binary process over all M."""

    index: int  # position in the one-GPU order
    shape: WeightShape
    dtype: str
    gpu: int | None = None
    status: str = "waiting"  # waiting, running, ok, error, not run
    seconds: float | None = None
    error: str | None = None
    device: str | None = None  # the name the binary reported
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.shape.label} {self.dtype}"

    def to_json(self) -> dict[str, Any]:
        env = gpus.job_env(self.gpu)[gpus.ENV] if self.gpu is not None else None
        return {"job": self.name, "label": self.shape.label, "dtype": self.dtype,
                "gpu": self.gpu, "cuda_visible_devices": env, "device": self.device,
                "status": self.status, "seconds": self.seconds, "problems": len(self.problems)}


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
            "device": {}, "machine": {}, "problems": [], "errors": [], "jobs": [],
        }
        self.start = time.monotonic()
        self.jobs = [Job(i, shape, dtype) for i, (shape, dtype) in enumerate(
            (shape, dtype) for dtype in settings.dtypes for shape in settings.shapes)]
        self._queue: deque[Job] = deque(self.jobs)
        self._lock = threading.RLock()  # the queue, the document, the raw file, the output
        # torch captures CUDA graphs in global capture mode, which refuses CUDA calls from
        # other threads meanwhile: one GPU measures with torch at a time.
        self._torch_lock = threading.Lock()
        self._done = 0
        self._limit: str | None = None
        self._stop = False

    def _assemble(self) -> None:
        """The document from the jobs, in the one-GPU order whatever order they finished in."""
        with self._lock:
            self.doc["problems"] = [p for job in self.jobs for p in job.problems]
            errors = [{"job": job.name, "message": job.error} for job in self.jobs if job.error]
            left = [job.name for job in self.jobs if job.status == "not run"]
            if left and self._limit:
                errors.append({"job": "time limit", "message": f"{self._limit}; not run: "
                               + ", ".join(left)})
            self.doc["errors"] = errors
            self.doc["jobs"] = [job.to_json() for job in self.jobs]

    def _save(self) -> None:
        with self._lock:
            self._assemble()
            self.doc["seconds"] = time.monotonic() - self.start
            report.write_json(self.doc, self.s.out_dir / report.JSON_NAME)

    @staticmethod
    def _on(torch: Any, gpu: int | None) -> contextlib.AbstractContextManager[Any]:
        """torch's current device set to `gpu` in this thread (unchanged for None)."""
        return torch.cuda.device(gpu) if gpu is not None else contextlib.nullcontext()

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

    def _job(self, torch: Any, job: Job, l2: int, raw: TextIO, machine: dict[str, Any]) -> None:
        shape, dtype = job.shape, job.dtype
        with self._torch_lock, self._on(torch, job.gpu):
            baselines = self._baselines(torch, shape, dtype, l2)
        current: list[dict[str, Any]] = []
        total = len(self.jobs) * len(self.s.ms)
        where = f"gpu {job.gpu} {shape.label} {dtype} " if len(self.s.gpus) > 1 else ""

        def finish() -> None:
            if current:
                problem = current.pop()
                problem.update(baselines.get(int(problem["m"]), {}))
                with self._lock:
                    job.problems.append(problem)
                    self._done += 1
                    _say(f"  [{self._done}/{total}] {where}{progress_line(problem, machine)}")

        def on_record(record: dict[str, Any]) -> None:
            with self._lock:
                raw.write(json.dumps(record) + "\n")
            kind = record["record"]
            if kind == "device":
                fields = {k: v for k, v in record.items() if k != "record"}
                with self._lock:
                    self.doc["device"].update(fields)
                job.device = fields.get("name")
            elif kind == "problem":
                finish()
                current.append(new_problem(shape, record))
            elif kind == "tactic" and current:
                current[0]["tactics"].append(tactic_entry(record))

        cmd = binary.command(self.s.binary, shape, self.s.ms, dtype, self.s.group, self.s.quant,
                             self.s.plan, self.s.tactics, self.s.seed)
        env = gpus.job_env(job.gpu) if job.gpu is not None else None
        try:
            binary.run(cmd, self.s.out_dir / self.s.log_name(job.gpu), on_record, env=env)
        finally:
            finish()

    def _next(self, gpu: int | None) -> Job | None:
        """The next job for this GPU; None when none is left or the time limit has passed
        (then every job still waiting is marked as not run)."""
        s = self.s
        with self._lock:
            while self._queue and not self._stop:
                job = self._queue.popleft()
                elapsed = time.monotonic() - self.start
                if s.time_limit_s is not None and elapsed > s.time_limit_s:
                    if self._limit is None:
                        self._limit = (f"--time-limit {s.time_limit_s:g} s reached after "
                                       f"{elapsed:.0f} s")
                        _say(f"time limit reached after {elapsed:.0f} s: stopping early")
                    job.status = "not run"
                    continue
                job.gpu, job.status = gpu, "running"
                on = f"gpu {gpu}: " if len(s.gpus) > 1 else ""
                _say(f"({job.index + 1}/{len(self.jobs)}, {elapsed:.0f} s) {on}{job.shape.label} "
                     f"{job.dtype} N={job.shape.n} K={job.shape.k}: "
                     f"cuBLAS{' + torch int4' if s.int4pack else ''}, then the tactics")
                return job
            return None

    def _worker(self, gpu: int | None, torch: Any, l2: int, raw: TextIO,
                machine: dict[str, Any]) -> None:
        while (job := self._next(gpu)) is not None:
            began = time.monotonic()
            try:
                self._job(torch, job, l2, raw, machine)
                job.status = "ok"
            except UserError as exc:
                job.status, job.error = "error", str(exc)
                with self._lock:
                    print(f"[bench] error: {exc}", file=sys.stderr, flush=True)
            job.seconds = round(time.monotonic() - began, 3)
            with self._lock:
                if len(self.s.gpus) > 1:
                    _say(f"gpu {gpu}: {job.name} {job.status} in {job.seconds:.0f} s "
                         f"({len(job.problems)} problems)")
                self._save()

    def _run_workers(self, torch: Any, l2: int, raw: TextIO, machine: dict[str, Any]) -> None:
        """One worker per GPU; a single GPU runs in this thread."""
        slots: list[int | None] = list(self.s.gpus) or [None]
        if len(slots) == 1:
            self._worker(slots[0], torch, l2, raw, machine)
            return
        failures: list[BaseException] = []

        def work(g: int | None) -> None:
            try:
                self._worker(g, torch, l2, raw, machine)
            except BaseException as exc:  # re-raised in this thread, as one GPU would
                self._stop = True
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(g,), name=f"bench-gpu{g}", daemon=True)
                   for g in slots]
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join()
        except BaseException:
            self._stop = True  # the running jobs finish; no new one starts
            raise
        if failures:
            raise failures[0]

    def run(self) -> dict[str, Any]:
        s = self.s
        if not s.binary.is_file():
            raise UserError(f"bench binary {s.binary} not found: build it with "
                            "`w4a16 build --no-run` or pass --binary")
        s.out_dir.mkdir(parents=True, exist_ok=True)
        torch = torch_baselines.load_torch()
        first = s.gpus[0] if s.gpus else None
        with self._on(torch, first):
            l2 = torch_baselines.l2_bytes(torch)
            self.doc["device"] = {"name": torch.cuda.get_device_name(first or 0),
                                  "torch": torch.__version__, "l2_bytes": l2}
            on = f" (gpu {first})" if first is not None else ""
            _say(f"{self.doc['device']['name']}{on}: measuring copy bandwidth and matmul rate")
            machine = torch_baselines.measure_machine(torch)
        self.doc["machine"] = machine
        _say(f"copy {machine['copy_bandwidth_bytes_per_s'] / 1e12:.2f} TB/s, matmul "
             + ", ".join(f"{k} {v / 1e12:.0f} TFLOP/s"
                         for k, v in machine["matmul_flops_per_s"].items()))
        if len(s.gpus) > 1:
            _say(f"{len(self.jobs)} jobs over GPUs {', '.join(map(str, s.gpus))}")
        try:
            with (s.out_dir / RAW_NAME).open("w") as raw:
                self._run_workers(torch, l2, raw, machine)
        finally:
            self._assemble()
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
