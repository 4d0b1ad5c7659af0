"""Write a sweep's results: the full JSON document and a Markdown report.

The JSON keeps every measurement (each tactic's median/min/p90, baselines, the machine's
rates) so any table can be redone later; `refresh` recomputes the derived numbers from it,
which is how `w4a16 bench --report-only` rebuilds a report without a GPU.
"""

from __future__ import annotations

import json
import os
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from w4a16.bench import analysis, ranking

JSON_NAME = "bench.json"
MARKDOWN_NAME = "report.md"
Doc = dict[str, Any]


def refresh(doc: Doc) -> Doc:
    """(Re)compute every problem's `analysis` from its records and doc['machine']."""
    problems = doc.get("problems", [])
    for problem in problems:
        problem["analysis"] = analysis.analyse(problem, doc["machine"])
    for problem, pick in zip(problems, ranking.held_out_picks(problems), strict=True):
        problem["analysis"].update({
            "table_tactic": pick and pick["tactic"],
            "table_loss_us": pick and pick["loss_us"],
            "table_loss": pick and pick["loss"],
        })
    return doc


def write_json(doc: Mapping[str, Any], path: Path) -> Path:
    """Atomic: a sweep rewrites this after every shape, and may be killed at any time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, path)
    return path


def load(path: Path) -> Doc:
    doc = json.loads(path.read_text())
    if doc.get("version") != 1 or "problems" not in doc or "machine" not in doc:
        raise ValueError(f"{path} is not a w4a16 bench result (version 1)")
    return doc


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

def _machine(doc: Mapping[str, Any]) -> list[str]:
    m = doc["machine"]
    device = doc.get("device", {})
    rates = ", ".join(f"{k} {v / 1e12:.0f} TFLOP/s" for k, v in m["matmul_flops_per_s"].items())
    return [
        "## This machine's roofline",
        "",
        f"* device: {device.get('name', '?')}; L2 {device.get('l2_bytes', 0) / 2**20:.0f} MiB; "
        f"torch {device.get('torch', '?')}",
        f"* copy bandwidth: {m['copy_bandwidth_bytes_per_s'] / 1e12:.2f} TB/s "
        f"({m['copy_bytes'] / 2**30:.0f} GiB device-to-device copy, bytes read + written)",
        f"* dense matmul ({m['matmul_size']}^3, cuBLAS): {rates}",
        "* floor of a row = max(bytes / bandwidth, 2MNK / rate); W4A16 bytes = N*K/2 + "
        "K/g*N*2 + M*K*2 + M*N*2, cuBLAS bytes = N*K*2 + M*K*2 + M*N*2",
        "* % of floor = floor / measured median; speedup = cuBLAS median / W4A16 median",
        "",
    ]


def _audit(problems: Sequence[Mapping[str, Any]]) -> list[str]:
    audits = [p["analysis"] for p in problems if p.get("analysis")]
    out = ["## Heuristic audit: TensorRT-LLM's pick vs the measured best", ""]
    s = ranking.default_summary(audits)
    defaults = ", ".join(f"`{d}`" for d in dict.fromkeys(
        a["default_tactic"] for a in audits if a.get("default_tactic")))
    if s["problems"]:
        out.append(
            f"* default (config 0, or the CUDA-core GEMV for M < {ranking.GEMV_BELOW_M} where "
            f"built; here {defaults}): fastest on {s['default_is_best']} of "
            f"{s['problems']} problems, within 5% on {s['within_5pct']}; median loss "
            f"{_pct(s['median_loss'])}, worst {_pct(s['worst_loss'])} ({s['worst_problem']}); "
            f"{s['total_loss_us']:.0f} us lost summed over all problems")
    table = [a["table_loss"] for a in audits if a.get("table_loss") is not None]
    if table:
        out.append(
            f"* a static (M, dtype) table, each entry learned from the other shapes only (the "
            f"pick a heuristic without profiling could hard-code): within 5% of the best on "
            f"{sum(x <= 0.05 for x in table)} of {len(table)} problems; median loss "
            f"{_pct(statistics.median(table))}, worst {_pct(max(table))}")
    statuses = Counter(a.get("estimate_status") for a in audits)
    if statuses.get("ok"):
        agree = sum(a.get("estimate_tactic") == a.get("best_tactic") for a in audits)
        losses = [a["estimate_loss"] for a in audits if a.get("estimate_loss") is not None]
        out.append(f"* occupancy estimate (estimate_best_config_from_occupancies): computed on "
                   f"{statuses['ok']} problems, picks the best on {agree}; median loss "
                   f"{_pct(statistics.median(losses) if losses else None)}")
    reasons = Counter(a.get("estimate_reason") for a in audits
                      if a.get("estimate_status") not in (None, "ok"))
    for reason, count in reasons.most_common():
        out.append(f"* occupancy estimate unavailable on {count} problems: {reason}")
    out.append("")
    by_m: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for p in problems:
        if p.get("analysis", {}).get("best_tactic"):
            by_m[int(p["m"])].append(p["analysis"])
    rows = []
    for m in sorted(by_m):
        wins = ranking.winners(by_m[m]).most_common(1)[0]
        losses = [a["default_loss"] for a in by_m[m] if a.get("default_loss") is not None]
        table = [a["table_loss"] for a in by_m[m] if a.get("table_loss") is not None]
        rows.append([str(m), f"`{wins[0]}`", f"{wins[1]}/{len(by_m[m])}",
                     _pct(statistics.median(losses) if losses else None),
                     _pct(statistics.median(table) if table else None),
                     _pct(max(table) if table else None)])
    out += _table(["M", "most often fastest", "wins", "median loss of default",
                   "median loss of the held-out table", "worst"], rows)
    out += ["", "Fastest tactic, counted over all problems:", ""]
    out += _table(["tactic", "wins"],
                  ([f"`{t}`", str(c)] for t, c in ranking.winners(audits).most_common()))
    return out + [""]


def _results(problems: Sequence[Mapping[str, Any]], dtype: str) -> list[str]:
    rows = []
    for p in problems:
        if p["dtype"] != dtype or not p.get("analysis"):
            continue
        a = p["analysis"]
        rows.append([
            p.get("model", "?"), p.get("layer", "?"), str(p["m"]), str(p["n"]), str(p["k"]),
            _us(a["floor_us"]), a["bound"], _short(a["best_tactic"]), _us(a["best_us"]),
            _pct(a["fraction_of_floor_best"]), _us(a["default_us"]), _pct(a["default_loss"]),
            _us(a["cublas_us"]), _pct(a["cublas_fraction_of_floor"]),
            _times(a["speedup_best_vs_cublas"]), _times(a["speedup_default_vs_cublas"]),
            _us(a["int4pack_us"]),
        ])
    if not rows:
        return []
    header = ["model", "layer", "M", "N", "K", "floor us", "bound", "best tactic", "best us",
              "% floor", "default us", "default loss", "cuBLAS us", "cuBLAS % own floor",
              "speedup best", "speedup default", "torch int4 us"]
    return [f"## Results, {dtype} activations", ""] + _table(header, rows) + [""]


def _problems_found(problems: Sequence[Mapping[str, Any]], doc: Mapping[str, Any]) -> list[str]:
    failed: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for p in problems:
        for t in p.get("tactics", []):
            if t.get("status") in ("error", "nonfinite"):
                key = (t["tactic"], t["status"], t.get("message", ""))
                failed[key].append(analysis.problem_name(p))
    out = [f"* `{tactic}` {status} on {len(names)} problems (first: {names[0]}): {message}"
           for (tactic, status, message), names in failed.items()]
    baseline = Counter()
    for p in problems:
        for key in ("cublas", "int4pack"):
            b = p.get(key) or {}
            if b.get("status") not in (None, "ok"):
                baseline[(key, p["dtype"], b.get("status"), b.get("reason"))] += 1
    for (key, dtype, status, reason), count in sorted(baseline.items(), key=str):
        out.append(f"* {key} {dtype}: {status} on {count} problems: {reason}")
    for e in doc.get("errors", []):
        out.append(f"* {e.get('job', '?')}: {e.get('message', '')}")
    not_compiled = sum(t.get("status") == "not_compiled" for p in problems
                       for t in p.get("tactics", []))
    if not_compiled:
        out.append(f"* {not_compiled} (problem, tactic) pairs were not compiled into the binary")
    return ["## Failures and gaps", ""] + (out or ["* none"]) + [""]


def markdown(doc: Mapping[str, Any]) -> str:
    problems = doc.get("problems", [])
    settings = doc.get("settings", {})
    lines = [
        "# W4A16 SM90 GEMM: every tactic vs cuBLAS and the roofline",
        "",
        f"Command: `{doc.get('command', '?')}`  ",
        f"Run: {doc.get('started', '?')}, {doc.get('seconds', 0):.0f} s; "
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
    lines += _problems_found(problems, doc)
    return "\n".join(lines)


def write_report(doc: Doc, out_dir: Path) -> list[Path]:
    """bench.json and report.md in out_dir (analysis refreshed first)."""
    refresh(doc)
    md = out_dir / MARKDOWN_NAME
    out_dir.mkdir(parents=True, exist_ok=True)
    md.write_text(markdown(doc) + "\n")
    return [write_json(doc, out_dir / JSON_NAME), md]
