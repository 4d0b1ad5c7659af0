"""Write a sweep's results: the full JSON document and a Markdown report.

The JSON keeps every measurement (each tactic's median/min/p90, baselines, the machine's
rates) so any table can be redone later; `refresh` recomputes the derived numbers from it,
which is how `w4a16 bench --report-only` rebuilds a report without a GPU.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from w4a16.bench import analysis, ranking
from w4a16.bench.problem import Json, JsonObject, ProblemResult, TacticResult, as_object, opt_str
from w4a16.bench.roofline import Machine

JSON_NAME = "bench.json"
MARKDOWN_NAME = "report.md"


@dataclass(frozen=True)
class JobError:
    """A job that failed, or the time limit that left jobs unrun."""

    job: str
    message: str

    def to_json(self) -> JsonObject:
        return {"job": self.job, "message": self.message}

    @classmethod
    def from_json(cls, obj: JsonObject) -> JobError:
        return cls(job=opt_str(obj, "job") or "?", message=opt_str(obj, "message") or "")


@dataclass
class BenchDoc:
    """bench.json: one sweep's settings, machine, measured problems and failures.

    settings, binary, device and jobs are kept as the JSON they are written as (sweep's
    SweepSettings, fingerprint.describe, the torch and binary device fields, sweep's Job);
    binary and jobs are absent (None) in documents of older sweeps.
    """

    command: str
    started: str
    settings: JsonObject
    machine: Machine | None = None
    seconds: float = 0.0
    binary: Json = None
    device: JsonObject = field(default_factory=dict)
    problems: list[ProblemResult] = field(default_factory=list)
    errors: list[JobError] = field(default_factory=list)
    jobs: list[JsonObject] | None = None
    version: int = 1
    tool: str = "w4a16 bench"

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "version": self.version, "tool": self.tool, "command": self.command,
            "started": self.started, "seconds": self.seconds, "settings": self.settings}
        if self.binary is not None:
            out["binary"] = self.binary
        out.update(device=self.device,
                   machine=self.machine.to_json() if self.machine is not None else {},
                   problems=[p.to_json() for p in self.problems],
                   errors=[e.to_json() for e in self.errors])
        if self.jobs is not None:
            out["jobs"] = list(self.jobs)
        return out

    @classmethod
    def from_json(cls, obj: JsonObject) -> BenchDoc:
        machine = as_object(obj.get("machine") or {})
        seconds = obj.get("seconds")
        jobs = obj.get("jobs")
        return cls(
            version=int(obj.get("version") or 0), tool=opt_str(obj, "tool") or "w4a16 bench",
            command=opt_str(obj, "command") or "?", started=opt_str(obj, "started") or "?",
            seconds=seconds if isinstance(seconds, int | float) else 0.0,
            settings=as_object(obj.get("settings") or {}), binary=obj.get("binary"),
            device=as_object(obj.get("device") or {}),
            machine=Machine.from_json(machine) if machine else None,
            problems=[ProblemResult.from_json(as_object(p))
                      for p in _list(obj.get("problems"))],
            errors=[JobError.from_json(as_object(e)) for e in _list(obj.get("errors"))],
            jobs=[as_object(j) for j in jobs] if isinstance(jobs, list) else None)


def _list(value: Json) -> list[Json]:
    return value if isinstance(value, list) else []


def refresh(doc: BenchDoc) -> BenchDoc:
    """(Re)compute every problem's `analysis` from its records and doc.machine."""
    if doc.machine is None:
        raise ValueError("the document has no machine rates to analyse against")
    problems = doc.problems
    for problem in problems:
        problem.analysis = analysis.analyse(problem, doc.machine)
    for problem, pick in zip(problems, ranking.held_out_picks(problems), strict=True):
        assert problem.analysis is not None
        problem.analysis = problem.analysis.with_table(pick)
    return doc


def write_json(doc: BenchDoc, path: Path) -> Path:
    """Atomic: a sweep rewrites this after every shape, and may be killed at any time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc.to_json(), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def read_json(path: Path) -> Json:
    """The JSON of a bench.json, or of one kept gzip-compressed (bench.json.gz, as committed
    reports keep large records)."""
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)


def load(path: Path) -> BenchDoc:
    obj = read_json(path)
    if not isinstance(obj, dict) or obj.get("version") != 1 or "problems" not in obj \
            or "machine" not in obj:
        raise ValueError(f"{path} is not a w4a16 bench result (version 1)")
    return BenchDoc.from_json(obj)


# ---- formatting -------------------------------------------------------------------------

def _us(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _times(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _short(tactic: str | None) -> str:
    """tile128x16x64_cluster2x1x1_coop -> 128x16 c2x1 (the K tile and schedule are implied);
    a name that is not a CUTLASS tile (cuda_core_gemv) stays as it is."""
    if not tactic:
        return "-"
    tile = ranking.tile_of(tactic)
    if tile == tactic or "_cluster" not in tactic:
        return tactic
    cluster = tactic.split("_cluster", 1)[1].split("x1_", 1)[0]
    return f"{tile} c{cluster}" + (" cudaflag" if tactic.endswith("_cudakernelflag") else "")


# ---- sections ---------------------------------------------------------------------------

def _machine(doc: BenchDoc) -> list[str]:
    m = doc.machine
    assert m is not None
    device = doc.device
    rates = ", ".join(f"{k} {v / 1e12:.0f} TFLOP/s" for k, v in m.matmul_flops_per_s.items())
    l2 = device.get("l2_bytes", 0)
    return [
        "## This machine's roofline",
        "",
        f"* device: {device.get('name', '?')}; "
        f"L2 {(l2 if isinstance(l2, int | float) else 0) / 2**20:.0f} MiB; "
        f"torch {device.get('torch', '?')}",
        f"* copy bandwidth: {m.copy_bandwidth_bytes_per_s / 1e12:.2f} TB/s "
        f"({m.copy_bytes / 2**30:.0f} GiB device-to-device copy, bytes read + written)",
        f"* dense matmul ({m.matmul_size}^3, cuBLAS): {rates}",
        "* floor of a row = max(bytes / bandwidth, 2MNK / rate); W4A16 bytes = N*K/2 + "
        "K/g*N*2 + M*K*2 + M*N*2, cuBLAS bytes = N*K*2 + M*K*2 + M*N*2",
        "* % of floor = floor / measured median; speedup = cuBLAS median / W4A16 median",
        "* stream us = the stream floor: the bench binary's plain kernel moving the row's W4A16 "
        "bytes with no arithmetic, same method; % stream = stream us / best us",
        "",
    ]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _audit(problems: Sequence[ProblemResult]) -> list[str]:
    analyses = [p.analysis for p in problems if p.analysis]
    audits = [a.audit for a in analyses]
    out = ["## Heuristic audit: TensorRT-LLM's pick vs the measured best", ""]
    s = ranking.default_summary(audits)
    defaults = ", ".join(f"`{d}`" for d in dict.fromkeys(
        a.default_tactic for a in audits if a.default_tactic))
    if s.problems:
        out.append(
            f"* default (config 0, or the CUDA-core GEMV for M < {ranking.GEMV_BELOW_M} where "
            f"built; here {defaults}): fastest on {s.default_is_best} of "
            f"{s.problems} problems, within 5% on {s.within_5pct}; median loss "
            f"{_pct(s.median_loss)}, worst {_pct(s.worst_loss)} ({s.worst_problem}); "
            f"{s.total_loss_us or 0.0:.0f} us lost summed over all problems")
    table = _table_losses(analyses)
    if table:
        out.append(
            f"* a static (M, dtype) table, each entry learned from the other shapes only (the "
            f"pick a heuristic without profiling could hard-code): within 5% of the best on "
            f"{sum(x <= 0.05 for x in table)} of {len(table)} problems; median loss "
            f"{_pct(statistics.median(table))}, worst {_pct(max(table))}")
    statuses = Counter(a.estimate_status for a in audits)
    if statuses.get("ok"):
        agree = sum(a.estimate_tactic == a.best_tactic for a in audits)
        losses = [a.estimate_loss for a in audits if a.estimate_loss is not None]
        out.append(f"* occupancy estimate (estimate_best_config_from_occupancies): computed on "
                   f"{statuses['ok']} problems, picks the best on {agree}; median loss "
                   f"{_pct(_median(losses))}")
    reasons = Counter(a.estimate_reason for a in audits if a.estimate_status != "ok")
    for reason, count in reasons.most_common():
        out.append(f"* occupancy estimate unavailable on {count} problems: {reason}")
    out.append("")
    by_m: dict[int, list[analysis.Analysis]] = defaultdict(list)
    for p in problems:
        if p.analysis and p.analysis.audit.best_tactic:
            by_m[p.problem.m].append(p.analysis)
    rows = []
    for m in sorted(by_m):
        wins = ranking.winners(a.audit for a in by_m[m]).most_common(1)[0]
        losses = [a.audit.default_loss for a in by_m[m] if a.audit.default_loss is not None]
        table = _table_losses(by_m[m])
        rows.append([str(m), f"`{wins[0]}`", f"{wins[1]}/{len(by_m[m])}",
                     _pct(_median(losses)), _pct(_median(table)),
                     _pct(max(table) if table else None)])
    out += _table(["M", "most often fastest", "wins", "median loss of default",
                   "median loss of the held-out table", "worst"], rows)
    out += ["", "Fastest tactic, counted over all problems:", ""]
    out += _table(["tactic", "wins"],
                  ([f"`{t}`", str(c)] for t, c in ranking.winners(audits).most_common()))
    return out + [""]


def _peer_schedule(result: TacticResult | None) -> str:
    """The schedule a peer's result ran (its heuristic's pick included), not the tactic name."""
    if result is None:
        return "-"
    schedule = result.extra.get("schedule")
    return str(schedule) if schedule else result.tactic


def _peers(problems: Sequence[ProblemResult]) -> list[str]:
    """vLLM's Machete beside our best tactic, where the sweep ran the peer."""
    with_peer = [p for p in problems if p.peers]
    if not with_peer:
        return []
    out = ["## vLLM's Machete on the same problems", "",
           "Machete's prepack kernel and schedules in `w4a16MacheteBench`, timed with this "
           "bench's method right after the bench binary (fp16, scale-only). `ours vs Machete` "
           "is Machete's best median over our best (TensorRT-LLM's tactics and the GEMV): above "
           "1 ours is faster.", ""]
    rows, ratios, failed = [], [], []
    for p in with_peer:
        timed = [t for t in p.peers if t.timed and t.median_us]
        failed += [f"{p.problem.name} {t.tactic}: {t.status} {t.message or ''}".strip()
                   for t in p.peers if t.status not in ("ok", "not_compiled", "skipped")]
        best = min(timed, key=lambda t: t.median_us or float("inf"), default=None)
        heur = next((t for t in timed if t.tactic.endswith("heuristic")), None)
        ours = p.analysis.audit if p.analysis else None
        ratio = (best.median_us / ours.best_us if best and best.median_us and ours
                 and ours.best_us else None)
        if ratio is not None:
            ratios.append(ratio)
        rows.append([p.record.problem.label, str(p.problem.m),
                     f"{_short(ours.best_tactic) if ours else '-'} "
                     f"{_us(ours.best_us if ours else None)}",
                     f"{_peer_schedule(best)} {_us(best.median_us if best else None)}",
                     f"{_peer_schedule(heur)} {_us(heur.median_us if heur else None)}",
                     _us(p.cublas.median_us if p.cublas else None), _times(ratio)])
    if ratios:
        ahead = sum(r >= 1.0 for r in ratios)
        out.append(f"* ours at least as fast as Machete's best schedule on {ahead} of "
                   f"{len(ratios)} problems; ours vs Machete from {min(ratios):.2f}x to "
                   f"{max(ratios):.2f}x (median {_median(ratios):.2f}x)")
    out.append("* Machete runs that failed its output check or did not finish: "
               + ("; ".join(failed) if failed else "none"))
    out.append("")
    out += _table(["shape", "M", "our best", "Machete best", "Machete heuristic", "cuBLAS",
                   "ours vs Machete"], rows)
    return out + [""]


def _table_losses(analyses: Iterable[analysis.Analysis]) -> list[float]:
    return [a.table.loss for a in analyses if a.table is not None and a.table.loss is not None]


def _results(problems: Sequence[ProblemResult], dtype: str) -> list[str]:
    rows = []
    for p in problems:
        if p.problem.dtype != dtype or not p.analysis:
            continue
        a, q, audit = p.analysis, p.problem, p.analysis.audit
        rows.append([
            p.model or "?", p.layer or "?", str(q.m), str(q.n), str(q.k),
            _us(a.floor_us), a.bound, _short(audit.best_tactic), _us(audit.best_us),
            _pct(a.fraction_of_floor_best), _us(a.stream_us), _pct(a.fraction_of_stream_best),
            _us(audit.default_us), _pct(audit.default_loss),
            _us(a.cublas_us), _pct(a.cublas_fraction_of_floor),
            _times(a.speedup_best_vs_cublas), _times(a.speedup_default_vs_cublas),
            _us(a.int4pack_us),
        ])
    if not rows:
        return []
    header = ["model", "layer", "M", "N", "K", "floor us", "bound", "best tactic", "best us",
              "% floor", "stream us", "% stream", "default us", "default loss", "cuBLAS us",
              "cuBLAS % own floor",
              "speedup best", "speedup default", "torch int4 us"]
    return [f"## Results, {dtype} activations", ""] + _table(header, rows) + [""]


def _problems_found(problems: Sequence[ProblemResult], doc: BenchDoc) -> list[str]:
    failed: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for p in problems:
        for t in p.tactics:
            if t.status in ("error", "nonfinite"):
                failed[(t.tactic, t.status, t.message or "")].append(p.problem.name)
    out = [f"* `{tactic}` {status} on {len(names)} problems (first: {names[0]}): {message}"
           for (tactic, status, message), names in failed.items()]
    baseline: Counter[tuple[str, str, str, str | None]] = Counter()
    for p in problems:
        for key, b in (("cublas", p.cublas), ("int4pack", p.int4pack), ("stream", p.stream)):
            if b is not None and b.status != "ok":
                baseline[(key, p.problem.dtype, b.status, b.reason)] += 1
    for (key, dtype, status, reason), count in sorted(baseline.items(), key=str):
        out.append(f"* {key} {dtype}: {status} on {count} problems: {reason}")
    for e in doc.errors:
        out.append(f"* {e.job}: {e.message}")
    not_compiled = sum(t.status == "not_compiled" for p in problems for t in p.tactics)
    if not_compiled:
        out.append(f"* {not_compiled} (problem, tactic) pairs were not compiled into the binary")
    return ["## Failures and gaps", ""] + (out or ["* none"]) + [""]


def markdown(doc: BenchDoc) -> str:
    problems = doc.problems
    settings = doc.settings
    lines = [
        "# W4A16 SM90 GEMM: every tactic vs cuBLAS and the roofline",
        "",
        f"Command: `{doc.command}`  ",
        f"Run: {doc.started}, {doc.seconds:.0f} s; "
        f"{len(problems)} problems; group {settings.get('group', '?')}, "
        f"{settings.get('quant', '?')}; timing plan {settings.get('plan', {})}",
        "",
        "Each time is the median per-launch time of CUDA-graph replays over operand copies that "
        "exceed twice the L2 size (weights come from DRAM). Plots: `speedup_vs_cublas.png`, "
        "`fraction_of_floor.png`. Every measurement is in `bench.json`.",
        "",
    ]
    lines += _machine(doc)
    lines += _audit(problems)
    for dtype in ("fp16", "bf16"):
        lines += _results(problems, dtype)
    lines += _peers(problems)
    lines += _problems_found(problems, doc)
    return "\n".join(lines)


def write_report(doc: BenchDoc, out_dir: Path) -> list[Path]:
    """bench.json and report.md in out_dir (analysis refreshed first)."""
    refresh(doc)
    md = out_dir / MARKDOWN_NAME
    out_dir.mkdir(parents=True, exist_ok=True)
    md.write_text(markdown(doc) + "\n")
    return [write_json(doc, out_dir / JSON_NAME), md]
