"""Where the time goes: Nsight Compute metrics and SASS instruction counts of the kernels.

Two jobs, both for diagnosing decode speed and both GPU-machine tools (ncu, cuobjdump):

* `ncu`: for each (binary, M, tactic), profile the tactic's first launch (the bench's
  poisoned-output check run, outside any graph) with `--clock-control none`, so the clocks
  are the card's own, and keep the key metrics: duration, DRAM bytes and throughput, SM
  throughput, grid, registers, shared memory, and the warp stall breakdown.
* `sass`: disassemble each binary with cuobjdump and count, per kernel, the instructions
  that tell the story: HGMMA (wgmma), WARPGROUP.ARRIVE / WARPGROUP.DEPBAR (the waits that
  serialize wgmma), CALL/RET (a function boundary inside the mainloop), LDL/STL (local
  memory), the int4 -> fp16 conversion work (PRMT, LOP3, HADD2/HFMA2/HMUL2), TMA loads;
  and the steady-state k-tile loop: the instructions a consumer thread issues per k-tile,
  the figure a mainloop change moves. cuobjdump also runs on a CPU machine (pip package
  nvidia-cuda-cuobjdump), so this part needs no GPU.

Writes JSON (ncu.json, sass.json) and the raw ncu CSV; prints a short table of each.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from w4a16.argtypes import positive_ints
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.sources import CUDA_BIN, cuda_tool
from w4a16.tactics import parse_tactic_names

# Section names are stable across ncu versions (metric names are not); --page raw lists every
# metric the sections collected. The sections of ncu 2025.3 do not collect the byte and
# instruction counts, so those are asked for by name (REQUESTED_METRICS); DRAM throughput is
# `gpu__dram_throughput` there. We keep METRICS (both kinds) plus all stall ratios.
SECTION_METRICS = (
    "gpu__time_duration.sum",
    "dram__bytes.sum.per_second",
    "gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed",
    "launch__grid_size",
    "launch__block_size",
    "launch__cluster_size",
    "launch__registers_per_thread",
    "launch__shared_mem_per_block_dynamic",
    "sm__cycles_active.avg",
)
REQUESTED_METRICS = (
    "dram__bytes_read.sum",
    "dram__bytes_write.sum",
    "smsp__inst_executed.sum",
    "sm__inst_executed_pipe_tensor_op_gmma.sum",
    "sm__cycles_elapsed.avg",
    "smsp__cycles_active.avg",
)
METRICS = SECTION_METRICS + REQUESTED_METRICS
SECTIONS = ("SpeedOfLight", "LaunchStats", "Occupancy", "WarpStateStats",
            "MemoryWorkloadAnalysis", "ComputeWorkloadAnalysis")
STALL = re.compile(r"smsp__average_warps?_(?:latency_)?issue_stalled_(\w+?)_per_issue_active")
SASS_OPS = ("HGMMA", "WARPGROUP.ARRIVE", "WARPGROUP.DEPBAR", "CALL", "RET", "LDL", "STL",
            "PRMT", "LOP3", "HADD2", "HFMA2", "HMUL2", "I2F", "F2FP", "UTMALDG", "SYNCS",
            "BAR", "WARPSYNC")


def _tool(name: str) -> str:
    found = cuda_tool(name)
    if found is None:
        raise UserError(f"{name} not found on PATH or in {CUDA_BIN} (it ships with the CUDA "
                        "toolkit / Nsight Compute; the GPU machine has it, the CPU machine may "
                        "not)")
    return found


def _number(text: str) -> float | str:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return text


def ncu_one(binary: Path, n: int, k: int, m: int, tactic: str, raw_csv: Path) -> dict[str, Any]:
    """Profile one tactic's first GEMM launch; returns {metric: value}."""
    cmd = [_tool("ncu"), "--clock-control", "none", "--target-processes", "all",
           "-k", "regex:device_kernel", "-c", "1", "--csv", "--page", "raw",
           *(x for sec in SECTIONS for x in ("--section", sec)),
           "--metrics", ",".join(REQUESTED_METRICS),
           str(binary), "--n", str(n), "--k", str(k), "--m", str(m), "--tactics", tactic,
           "--min-samples", "1", "--max-samples", "1", "--budget-ms", "0.1", "--warmup", "0",
           "--max-launches", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    raw_csv.write_text("$ " + " ".join(cmd) + "\n" + proc.stdout + "\n--- stderr\n" + proc.stderr)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-2:]
        raise UserError(f"ncu failed for {tactic} M={m}: {' | '.join(tail)}")
    return parse_ncu_csv(proc.stdout, f"{tactic} M={m}")


def parse_ncu_csv(text: str, what: str) -> dict[str, Any]:
    """The kept metrics of the first kernel in ncu's `--csv --page raw` output (which may
    follow other lines: the bench's own JSON records, or the command line ncu_one writes)."""
    # ncu's CSV is the block of lines starting with '"ID"'; the bench's JSON lines come first.
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith('"ID"')), None)
    if start is None:
        raise UserError(f"ncu profiled no kernel for {what}")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[start:]))))
    data = [r for r in rows if (r.get("ID") or "").strip().isdigit()]
    data_units = next((r for r in rows if not (r.get("ID") or "").strip()), {})
    if not data:
        raise UserError(f"ncu profiled no kernel for {what}")
    row = data[0]
    out: dict[str, Any] = {"kernel": row.get("Kernel Name", "")[:160]}
    for metric, value in row.items():
        stall = STALL.match(metric or "")
        if metric in METRICS:
            out[metric] = _number(value)
        elif stall and metric.endswith(".ratio"):
            out[f"stall_{stall.group(1)}"] = _number(value)
    out["units"] = {m: data_units.get(m, "") for m in out if m in data_units}
    return out


BRANCH_TARGET = re.compile(r"\bBRA(?:\.\w+)*\s.*?0x([0-9a-f]+)")


SassCode = list[tuple[int, str, str]]  # (address, opcode, instruction) of one function
SASS_INSTR = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)")


def parse_sass(text: str) -> list[tuple[str, SassCode]]:
    """Each function of `cuobjdump -sass` output: its name and its instructions, each from its
    opcode to the ';' (the predicate and the encoding comment stay out)."""
    functions: list[tuple[str, SassCode]] = []
    for line in text.splitlines():
        if "Function :" in line:
            functions.append((line.split("Function :", 1)[1].strip(), []))
            continue
        hit = SASS_INSTR.search(line)
        if hit is not None and functions:
            functions[-1][1].append((int(hit.group(1), 16), hit.group(2),
                                     line[hit.start(2):].split(";")[0]))
    return functions


def loop_body(code: SassCode, issues: str) -> SassCode | None:
    """The innermost loop of a function that issues an opcode starting with `issues`: the
    slice of `code` from a backward branch's target to the branch. None when no loop does."""
    best: SassCode | None = None
    for addr, _, text in code:
        target = BRANCH_TARGET.search(text)
        if target is None or int(target.group(1), 16) >= addr:
            continue
        start = int(target.group(1), 16)
        body = [c for c in code if start <= c[0] <= addr]
        if any(op.startswith(issues) for _, op, _ in body) and (best is None
                                                                or len(body) < len(best)):
            best = body
    return best


def ktile_loop_body(code: SassCode) -> SassCode | None:
    """The steady-state k-tile loop of a CUTLASS kernel: its innermost loop that issues HGMMA.
    The first k-tile, peeled before it, and the epilogue are not in it. None when no loop holds
    an HGMMA."""
    return loop_body(code, "HGMMA")


def ktile_loop(code: SassCode) -> dict[str, Any] | None:
    """What a consumer thread issues per k-tile (`ktile_loop_body`): its length, its
    shared-memory loads (LDS one register each, LDSM (ldmatrix) up to four), and how often each
    opcode (its first part: HMUL2, FFMA, LOP3, ...) occurs in it. None when no loop holds an
    HGMMA."""
    body = ktile_loop_body(code)
    if body is None:
        return None
    opcodes = Counter(op.split(".")[0] for _, op, _ in body)
    return {"instructions": len(body), "hgmma": opcodes["HGMMA"], "lds": opcodes["LDS"],
            "ldsm": opcodes["LDSM"], "opcodes": dict(opcodes.most_common())}


def sass_counts(binary: Path) -> list[dict[str, Any]]:
    """Per-kernel instruction counts from cuobjdump -sass, the accumulator registers the
    kernel's HGMMA write (one entry per independent accumulator chain) and its k-tile loop."""
    proc = subprocess.run([_tool("cuobjdump"), "-sass", str(binary)], capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        raise UserError(f"cuobjdump failed: {proc.stderr.strip()[:300]}")
    kernels: list[dict[str, Any]] = []
    for name, code in parse_sass(proc.stdout):
        if "device_kernel" not in name:
            continue
        ops: Counter[str] = Counter({"total": len(code)} if code else {})
        accumulators: set[str] = set()
        for _, op, text in code:
            if op.startswith("HGMMA"):
                fields = text.split(None, 1)  # "HGMMA.64x16x16.F32", "R24, ..."
                if len(fields) == 2:
                    accumulators.add(fields[1].split(",")[0].strip())
            for want in SASS_OPS:
                if op == want or op.startswith(want + "."):
                    ops[want] += 1
        kernels.append({"kernel": name, "ops": dict(ops), "accumulators": sorted(accumulators),
                        "ktile_loop": ktile_loop(code)})
    return kernels


def kernel_fields(name: str) -> str:
    """Schedule, tile N and mainloop stage count, read from the kernel name as cuobjdump
    prints it.

    The tile's N is the N of the wgmma atom, whose type name (`MMA_64x16x16_...`) is spelled
    out in full. The tile tuple itself is not read: in the mangled name a size seen before is
    a back-reference, so reading M or K off it would be wrong for some tiles.
    """
    schedule = "coop" if "Cooperative" in name else "pingpong" if "Pingpong" in name else "?"
    atom = re.search(r"MMA_\d+x(\d+)x\d+_", name)
    stages = re.search(r"MixedInputILi(\d+)", name)
    return (f"{schedule} n={atom.group(1) if atom else '?'} "
            f"stages={stages.group(1) if stages else '?'}")


RAW_NAME = re.compile(r"ncu_(?P<binary>.+?)_m(?P<m>\d+)_(?P<tactic>tile\w+)\.csv")


def reparse(folder: Path) -> list[dict[str, Any]]:
    """ncu.json's records again, from the raw CSVs in `folder` (sorted by binary, M, tactic)."""
    found = []
    for raw in folder.glob("ncu_*.csv"):
        hit = RAW_NAME.fullmatch(raw.name)
        if hit is None:
            continue
        what = f"{hit['tactic']} M={hit['m']}"
        record = parse_ncu_csv(raw.read_text(errors="replace"), what)
        found.append({"binary": hit["binary"], "m": int(hit["m"]), "tactic": hit["tactic"],
                      **record})
    if not found:
        raise UserError(f"no ncu_NAME_mM_TACTIC.csv files in {folder}")
    return sorted(found, key=lambda r: (r["binary"], r["m"], r["tactic"]))


def print_ncu_table(results: list[dict[str, Any]]) -> None:
    """One line per profiled kernel: time, DRAM throughput, grid and the top three stalls."""
    for r in results:
        stalls = sorted(((v, k[6:]) for k, v in r.items()
                         if k.startswith("stall_") and isinstance(v, float)), reverse=True)[:3]
        print(f"{r['binary']:<9} M={r['m']:<4} {r['tactic'][:38]:<39} "
              f"{r.get('gpu__time_duration.sum', 0) / 1e3:7.1f}us dram "
              f"{r.get('gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed', 0):5.1f}% grid "
              f"{r.get('launch__grid_size', 0):>5.0f} top stalls "
              + ", ".join(f"{s}={v:.2f}" for v, s in stalls))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--binary", action="append", default=[], metavar="NAME=PATH",
                   help="a bench binary to examine, named (repeatable; not used with --from-csv)")
    p.add_argument("--out", type=Path, required=True, help="folder for the JSON and raw CSV")
    p.add_argument("--n", type=int, default=8192, help="weight N for ncu (default 8192)")
    p.add_argument("--k", type=int, default=8192, help="weight K for ncu (default 8192)")
    p.add_argument("--m", type=positive_ints, default="1,16,64",
                   help="token counts for ncu (default 1,16,64)")
    p.add_argument("--tactics", default="", help="comma-separated tactic names for ncu "
                   "(names as w4a16SM90Bench --list prints them); empty: no ncu")
    p.add_argument("--no-sass", action="store_true", help="skip the cuobjdump counts")
    p.add_argument("--from-csv", action="store_true",
                   help="run nothing: rebuild OUT/ncu.json and the table from the raw "
                   "ncu_NAME_mM_TACTIC.csv files an earlier run left in --out (any machine)")


def run(args: argparse.Namespace) -> int:
    """Count SASS and profile with ncu as asked (or reread the raw CSVs); print the tables."""
    if args.from_csv:
        results = reparse(args.out)
        (args.out / "ncu.json").write_text(json.dumps(results, indent=1) + "\n")
        print_ncu_table(results)
        return 0
    if not args.binary:
        raise UserError("--binary NAME=PATH is needed (at least one), except with --from-csv")
    tactics = parse_tactic_names(args.tactics)
    bins = {}
    for item in args.binary:
        name, _, path = item.partition("=")
        if not path or not Path(path).is_file():
            raise UserError(f"--binary {item}: expected NAME=PATH of an existing file")
        bins[name] = Path(path)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_sass:
        sass = {name: sass_counts(b) for name, b in bins.items()}
        (args.out / "sass.json").write_text(json.dumps(sass, indent=1) + "\n")
        # the opcode's last part: WARPGROUP.ARRIVE and .DEPBAR stay apart
        print(f"{'binary':<10}{'kernel':<28}{'accumulators':<14}{'k-loop':>8}{'LDS/LDSM':>10}"
              f"{'HALF2':>7}" + "".join(f"{o.rsplit('.', 1)[-1][:9]:>10}" for o in SASS_OPS[:8]))
        for name, ks in sass.items():
            for k in ks:
                loop = k["ktile_loop"]
                loads = f"{loop['lds']}/{loop['ldsm']}" if loop else "-"
                # the loop's fp16x2 math (conversion and scaling): the half-rate pipe it loads
                half2 = (sum(loop["opcodes"].get(o, 0) for o in ("HADD2", "HFMA2", "HMUL2"))
                         if loop else "-")
                print(f"{name:<10}{kernel_fields(k['kernel'])[:27]:<28}"
                      f"{','.join(k['accumulators'])[:13]:<14}"
                      f"{loop['instructions'] if loop else '-':>8}{loads:>10}{half2:>7}"
                      + "".join(f"{k['ops'].get(o, 0):>10}" for o in SASS_OPS[:8]))
    results: list[dict[str, Any]] = []
    ncu_json = args.out / "ncu.json"
    ncu_json.write_text("[]\n")  # there even when nothing is profiled
    for name, b in bins.items():
        for m in args.m:
            for t in tactics:
                raw = args.out / f"ncu_{name}_m{m}_{t}.csv"
                try:
                    r = ncu_one(b, args.n, args.k, m, t, raw)
                except UserError as e:
                    print(f"[profile] {e}", file=sys.stderr, flush=True)
                    continue
                results.append({"binary": name, "m": m, "tactic": t, **r})
                # rewritten after each kernel: a call cut off at its limit keeps the rest
                ncu_json.write_text(json.dumps(results, indent=1) + "\n")
                print(f"[profile] {name} M={m} {t}: "
                      f"{r.get('gpu__time_duration.sum', '?')} ns", flush=True)
    print_ncu_table(results)
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.lab.profile`: the same as `w4a16 lab profile`."""
    p = argparse.ArgumentParser(prog="python -m w4a16.lab.profile", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    return run_guarded(run, p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
