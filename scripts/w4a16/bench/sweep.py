"""Run the sweep: roofline first, then per (shape, dtype) job the torch baselines and the
bench binary, with a progress line per problem and the results rewritten after every job (so a
run cut short still leaves a usable bench.json).

With several GPUs (`SweepSettings.gpus`) each GPU takes the next job from one queue: its torch
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
from w4a16.bench.problem import (
    Baseline,
    DeviceRecord,
    JsonObject,
    Problem,
    ProblemRecord,
    ProblemResult,
    Record,
    StreamRecord,
    TacticRecord,
)
from w4a16.bench.report import BenchDoc, JobError
from w4a16.bench.roofline import Machine
from w4a16.bench.shapes import GROUP, QUANT, WeightShape
from w4a16.bench.timing import Sampling
from w4a16.errors import UserError
from w4a16.fingerprint import describe
from w4a16.peers import machete

RAW_NAME = "bench_records.jsonl"
LOG_NAME = "bench_binary.log"
# The peer's own records and log, apart from the bench binary's (whose readers expect only
# TensorRT-LLM's tactics there).
PEER_RAW_NAME = "machete_records.jsonl"
PEER_LOG_NAME = "machete_binary.log"
# What the Machete peer times: fp16 activations, int4 weights with group scales, no zeros.
PEER_DTYPE, PEER_QUANT = "fp16", "scale_only"


@dataclass
class SweepSettings:
    out_dir: Path
    binary: Path
    shapes: list[WeightShape]
    ms: tuple[int, ...]
    dtypes: tuple[str, ...]
    group: int = GROUP
    quant: str = QUANT
    sampling: Sampling = field(default_factory=Sampling)
    tactics: str = "all"
    int4pack: bool = True
    seed: int = 1234
    time_limit_s: float | None = None
    # GPU indices as this process sees them; () runs on the default GPU without pinning.
    gpus: tuple[int, ...] = ()
    # w4a16MacheteBench (w4a16.peers.machete): vLLM's Machete timed on the same problems,
    # same method, right after the bench binary; None leaves the peer out.
    machete: Path | None = None
    # Which of the peer's schedules to time ("all", or names as its --schedules takes them).
    machete_schedules: str = "all"

    def peer_runs(self, dtype: str) -> bool:
        return self.machete is not None and dtype == PEER_DTYPE and self.quant == PEER_QUANT

    @property
    def options(self) -> binary.RunOptions:
        return binary.RunOptions(sampling=self.sampling, tactics=self.tactics, seed=self.seed)

    def problems(self, shape: WeightShape, dtype: str) -> list[Problem]:
        """The problems of one job, one per M."""
        return [Problem.of(shape, m, dtype, self.group, self.quant) for m in self.ms]

    def to_json(self) -> JsonObject:
        return {"binary": str(self.binary), "shapes": [s.label for s in self.shapes],
                "shape_sizes": {s.label: [s.n, s.k] for s in self.shapes},
                "ms": list(self.ms), "dtypes": list(self.dtypes), "group": self.group,
                "quant": self.quant, "plan": self.sampling.to_json(), "tactics": self.tactics,
                "int4pack": self.int4pack, "seed": self.seed, "time_limit_s": self.time_limit_s,
                "gpus": list(self.gpus),
                **({"machete": str(self.machete), "machete_schedules": self.machete_schedules}
                   if self.machete is not None else {})}

    def log_name(self, gpu: int | None) -> str:
        """One log per GPU when several run at once, so each binary's stderr stays whole."""
        return LOG_NAME if len(self.gpus) <= 1 or gpu is None else f"bench_binary_gpu{gpu}.log"


def _say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def progress_line(result: ProblemResult, machine: Machine) -> str:
    a = analysis.analyse(result, machine)
    best = a.audit.best_tactic or "none timed"

    def us(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f} us"

    frac = a.fraction_of_floor_best
    speed = a.speedup_best_vs_cublas
    return (f"M={result.problem.m:<5} best {best} {us(a.audit.best_us)} "
            f"({'-' if frac is None else format(frac, '.0%')} of floor), "
            f"stream {us(a.stream_us)}, default {us(a.audit.default_us)}, "
            f"cuBLAS {us(a.cublas_us)}"
            + ("" if speed is None else f" -> {speed:.2f}x"))


def peer_line(result: ProblemResult) -> str:
    """Machete's best schedule and its heuristic's pick against our best tactic."""
    timed = [t for t in result.peers if t.timed]
    if not timed:
        return "Machete: nothing timed"
    best = min(timed, key=lambda t: t.median_us or float("inf"))
    heuristic = next((t for t in timed if t.tactic == machete.HEURISTIC_TACTIC), None)
    ours = min((t.median_us for t in result.tactics if t.timed and t.median_us), default=None)
    ratio = ("" if ours is None or best.median_us is None
             else f"; ours {best.median_us / ours:.2f}x Machete's best")
    return (f"Machete best {best.tactic} {best.median_us:.1f} us"
            + ("" if heuristic is None or heuristic.median_us is None
               else f", heuristic {heuristic.median_us:.1f} us") + ratio)


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
    problems: list[ProblemResult] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.shape.label} {self.dtype}"

    def to_json(self) -> JsonObject:
        env = gpus.job_env(self.gpu)[gpus.ENV] if self.gpu is not None else None
        return {"job": self.name, "label": self.shape.label, "dtype": self.dtype,
                "gpu": self.gpu, "cuda_visible_devices": env, "device": self.device,
                "status": self.status, "seconds": self.seconds, "problems": len(self.problems)}


class Sweep:
    """One run; `doc` is the JSON document the report is made from."""

    def __init__(self, settings: SweepSettings, argv: list[str]) -> None:
        self.s = settings
        self.doc = BenchDoc(
            command=" ".join(argv),
            started=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            settings=settings.to_json(),
            # the binary's hash: which build (build_info.json "outputs") the numbers are of
            binary=describe({"bench": settings.binary})["bench"], jobs=[])
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
        self._peer_raw: TextIO | None = None  # the peer's raw records, while the jobs run
        if settings.machete is not None and settings.machete.is_file():
            # which Machete build the peer's numbers are of
            self.doc.settings["machete_binary"] = describe({"machete": settings.machete})[
                "machete"]

    def _assemble(self) -> None:
        """The document from the jobs, in the one-GPU order whatever order they finished in."""
        with self._lock:
            self.doc.problems = [p for job in self.jobs for p in job.problems]
            errors = [JobError(job.name, job.error) for job in self.jobs if job.error]
            left = [job.name for job in self.jobs if job.status == "not run"]
            if left and self._limit:
                errors.append(JobError("time limit", f"{self._limit}; not run: "
                                       + ", ".join(left)))
            self.doc.errors = errors
            self.doc.jobs = [job.to_json() for job in self.jobs]

    def _save(self) -> None:
        with self._lock:
            self._assemble()
            self.doc.seconds = time.monotonic() - self.start
            report.write_json(self.doc, self.s.out_dir / report.JSON_NAME)

    @staticmethod
    def _on(torch: Any, gpu: int | None) -> contextlib.AbstractContextManager[Any]:
        """torch's current device set to `gpu` in this thread (unchanged for None)."""
        return torch.cuda.device(gpu) if gpu is not None else contextlib.nullcontext()

    def _baselines(self, torch: Any, problems: list[Problem],
                   l2: int) -> dict[int, tuple[Baseline, Baseline]]:
        """(cuBLAS, torch int4) per M."""
        s = self.s
        out = {}
        for problem in problems:
            cublas = torch_baselines.time_cublas(torch, problem, l2, s.sampling, s.seed)
            int4pack = (torch_baselines.time_int4pack(torch, problem, l2, s.sampling, s.seed)
                        if s.int4pack else Baseline("skipped", reason="--no-int4pack"))
            out[problem.m] = (cublas, int4pack)
        torch.cuda.empty_cache()  # leave the GPU memory to the bench binary
        return out

    def _job(self, torch: Any, job: Job, l2: int, raw: TextIO, machine: Machine) -> None:
        shape, dtype = job.shape, job.dtype
        problems = self.s.problems(shape, dtype)
        with self._torch_lock, self._on(torch, job.gpu):
            baselines = self._baselines(torch, problems, l2)
        current: list[ProblemResult] = []
        total = len(self.jobs) * len(self.s.ms)
        where = f"gpu {job.gpu} {shape.label} {dtype} " if len(self.s.gpus) > 1 else ""

        def finish() -> None:
            if current:
                problem = current.pop()
                if problem.problem.m in baselines:
                    problem.cublas, problem.int4pack = baselines[problem.problem.m]
                with self._lock:
                    job.problems.append(problem)
                    self._done += 1
                    _say(f"  [{self._done}/{total}] {where}{progress_line(problem, machine)}")

        def on_record(record: Record) -> None:
            with self._lock:
                raw.write(json.dumps(record.to_json()) + "\n")
            if isinstance(record, DeviceRecord):
                with self._lock:
                    self.doc.device.update(record.body())
                job.device = record.name
            elif isinstance(record, ProblemRecord):
                finish()
                current.append(ProblemResult.of(shape, record))
            elif isinstance(record, TacticRecord) and current:
                current[0].tactics.append(record.result)
            elif isinstance(record, StreamRecord) and current:
                current[0].stream = record.result

        cmd = binary.command(self.s.binary, problems, self.s.options)
        env = gpus.job_env(job.gpu) if job.gpu is not None else None
        try:
            binary.run(cmd, self.s.out_dir / self.s.log_name(job.gpu), on_record, env=env)
        finally:
            finish()
        if self.s.peer_runs(dtype):
            self._peer(job, problems, env)

    def _peer(self, job: Job, problems: list[Problem], env: dict[str, str] | None) -> None:
        """Machete on the job's problems, its tactic results attached to ours by M."""
        s = self.s
        assert s.machete is not None
        by_m = {p.problem.m: p for p in job.problems}
        shape = job.shape
        cmd = machete.command(s.machete, shape.n, shape.k, [p.m for p in problems], s.group,
                              shape.label, s.machete_schedules, s.seed,
                              s.sampling.binary_args())

        def on_record(record: Record) -> None:
            with self._lock:
                if self._peer_raw is not None:
                    self._peer_raw.write(json.dumps(record.to_json()) + "\n")
                    self._peer_raw.flush()
                if isinstance(record, TacticRecord) and record.problem.m in by_m:
                    by_m[record.problem.m].peers.append(record.result)

        machete.run(cmd, s.out_dir / PEER_LOG_NAME, on_record, env=env)
        with self._lock:
            for m, result in by_m.items():
                _say(f"  {job.name} M={m:<5} {peer_line(result)}")

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
                machine: Machine) -> None:
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

    def _run_workers(self, torch: Any, l2: int, raw: TextIO, machine: Machine) -> None:
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

    def run(self) -> BenchDoc:
        s = self.s
        if not s.binary.is_file():
            raise UserError(f"bench binary {s.binary} not found: build it with "
                            "`w4a16 build --no-run` or pass --binary")
        s.out_dir.mkdir(parents=True, exist_ok=True)
        torch = torch_baselines.load_torch()
        first = s.gpus[0] if s.gpus else None
        with self._on(torch, first):
            l2 = torch_baselines.l2_bytes(torch)
            name = torch.cuda.get_device_name(first or 0)
            self.doc.device = {"name": name, "torch": torch.__version__, "l2_bytes": l2}
            on = f" (gpu {first})" if first is not None else ""
            _say(f"{name}{on}: measuring copy bandwidth and matmul rate")
            machine = torch_baselines.measure_machine(torch)
        self.doc.machine = machine
        _say(f"copy {machine.copy_bandwidth_bytes_per_s / 1e12:.2f} TB/s, matmul "
             + ", ".join(f"{k} {v / 1e12:.0f} TFLOP/s"
                         for k, v in machine.matmul_flops_per_s.items()))
        if len(s.gpus) > 1:
            _say(f"{len(self.jobs)} jobs over GPUs {', '.join(map(str, s.gpus))}")
        if s.machete is not None and not s.machete.is_file():
            raise UserError(f"Machete bench binary {s.machete} not found: build it with "
                            "`python -m w4a16.peers.machete build --machete-dir DIR` or pass "
                            "`w4a16 bench --machete-dir DIR`")
        try:
            with contextlib.ExitStack() as files:
                raw = files.enter_context((s.out_dir / RAW_NAME).open("w"))
                if s.machete is not None:
                    self._peer_raw = files.enter_context((s.out_dir / PEER_RAW_NAME).open("w"))
                self._run_workers(torch, l2, raw, machine)
        finally:
            self._peer_raw = None
            self._assemble()
        self.doc.seconds = time.monotonic() - self.start
        return self.doc


def finish_report(doc: BenchDoc, out_dir: Path) -> list[Path]:
    """bench.json, report.md and the PNGs (skipped with a warning if matplotlib is missing:
    the numbers matter more than the pictures, and --report-only can draw them later)."""
    written = report.write_report(doc, out_dir)
    try:
        written += plots.write_plots(doc.problems, out_dir)
    except UserError as exc:
        print(f"[bench] warning: no plots: {exc}", file=sys.stderr, flush=True)
    return written
