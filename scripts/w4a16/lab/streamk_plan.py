"""How CUTLASS's stream-K scheduler splits each cooperative tactic's work, without a GPU.

TensorRT-LLM gives the cooperative (128-row) W4A16 tiles CUTLASS's SM90 stream-K tile
scheduler with default arguments; the scheduler decides on the host whether a problem runs
data-parallel (each CTA walks all of K for its tiles), stream-K or split-K. That choice sets
how many SMs work at decode sizes, so it explains measured times. This module compiles
`cpp_tests/tools/streamk_decomposition.cu` (host code only) against the located CUTLASS and
tabulates the scheduler's choice over the Llama shapes.

Usage: w4a16 lab streamk [--m 1,16,64] [--tiles 128x16,...] [--sms 132] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from w4a16 import paths, sources
from w4a16.argtypes import add_out_option, positive, positive_ints
from w4a16.bench import shapes
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.tactics import TILE_K, Tactic, all_tactics, parse_tile_filter

TOOL_SOURCE = Path(__file__).resolve().parents[3] / "cpp_tests/tools/streamk_decomposition.cu"
DEFAULT_TILES = "128x16,128x32,128x64,128x256"


def build_tool(nvcc: Path, cutlass_include: Path, out_dir: Path) -> Path:
    """Compile the host-only tool once per source change (about 5 s)."""
    binary = out_dir / "streamk_decomposition"
    if binary.is_file() and binary.stat().st_mtime >= TOOL_SOURCE.stat().st_mtime:
        return binary
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(nvcc),
        "-std=c++17",
        "-O1",
        "-I",
        str(cutlass_include),
        str(TOOL_SOURCE),
        "-o",
        str(binary),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UserError(f"building {TOOL_SOURCE.name} failed:\n{proc.stderr[-3000:]}")
    return binary


def decompose(
    tool: Path,
    m: int,
    n: int,
    k: int,
    tile: tuple[int, int, int],
    cluster: tuple[int, int],
    sms: int,
    splits: int = 1,
    mode: str = "heuristic",
) -> dict:
    """The scheduler's choice for one problem, as the tool prints it."""
    args = [m, n, k, *tile, *cluster, sms, splits]
    proc = subprocess.run(
        [str(tool), *map(str, args), mode], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise UserError(f"{tool.name} {' '.join(map(str, args))} {mode}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def coop_tactics(tile_spec: str) -> list[Tactic]:
    """The cooperative tactics (all their clusters) of the tiles named, from the tactic space."""
    tiles = parse_tile_filter(tile_spec)
    chosen = [
        t for t in all_tactics() if t.schedule == "coop" and (tiles is None or t.tile in tiles)
    ]
    if not chosen:
        raise UserError(f"--tiles {tile_spec}: no cooperative (128-row) tile among them")
    return chosen


def load(path: Path) -> dict[tuple[str, int, int, int, int, int], dict]:
    """streamk_plan.json rows keyed by (shape label, M, tile N, tile M, cluster N, cluster M)."""
    rows = json.loads(path.read_text())
    return {(r["label"], r["m"], *r["tile"][:2], *r["cluster"]): r for r in rows}


def workload(row: dict) -> tuple[int, int]:
    """(SMs that get work, k-tiles the busiest SM walks) under the scheduler's choice."""
    sms, tiles, k_tiles = row["sms"], row["output_tiles"], row["k_tiles_per_output_tile"]
    if row["mode"] == "stream_k":
        # Stream-K units get k_tiles_per_sk_unit, some one more; data-parallel tiles follow.
        dp_waves = -(-row["dp_units"] // sms)
        return min(row["units"], sms), row["k_tiles_per_sk_unit"] + 1 + dp_waves * k_tiles
    if row["mode"] == "split_k":
        return min(row["units"], sms), -(-row["units"] // sms) * -(-k_tiles // row["splits"])
    return min(tiles, sms), -(-tiles // sms) * k_tiles


def table(rows: Sequence[dict]) -> str:
    head = (
        "| shape | M | tile | cluster | tiles | k-tiles | mode | SMs working | "
        "k-tiles per SM (max) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    out = []
    for r in rows:
        working, per_sm = workload(r)
        mode = r["mode"] + (f" x{r['splits']}" if r["mode"] == "split_k" else "")
        out.append(
            f"| {r['label']} | {r['m']} | {r['tile'][0]}x{r['tile'][1]} |"
            f" {r['cluster'][0]}x{r['cluster'][1]} | {r['output_tiles']} |"
            f" {r['k_tiles_per_output_tile']} | {mode} | {working} | {per_sm} |"
        )
    return head + "\n".join(out) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--m", type=positive_ints, default="1,16,64", help="token counts (default 1,16,64)"
    )
    parser.add_argument(
        "--tiles",
        default=DEFAULT_TILES,
        help="cooperative CTA tiles, N-rows x M-columns, each with every cluster shape "
        f"TensorRT-LLM dispatches for it (default: {DEFAULT_TILES}; all: every 128-row tile)",
    )
    parser.add_argument("--sms", type=positive(int), default=132, help="SM count (H100 SXM: 132)")
    parser.add_argument(
        "--nvcc", default=None, help="nvcc to compile the tool with (default: the one found)"
    )
    add_out_option(parser, "streamk_plan")


def run(args: argparse.Namespace) -> int:
    """Tabulate the scheduler's choice over the Llama shapes; print it or write --out."""
    ms: list[int] = args.m
    try:
        chosen = coop_tactics(args.tiles)
        nvcc, _ = sources.locate_nvcc(args.nvcc)
        kernels = sources.locate_kernels(None, paths.cache_dir(), fetch=True)
        tool = build_tool(nvcc, kernels.cutlass_include, paths.build_dir("tools"))
        rows = []
        total = len(ms) * len(chosen) * len(shapes.shapes())
        for shape in shapes.shapes():
            for m in ms:
                for t in chosen:
                    tile = (t.tile_m, t.tile_n, TILE_K)
                    row = decompose(
                        tool, m, shape.n, shape.k, tile, (t.cluster_m, t.cluster_n), args.sms
                    )
                    rows.append({"label": shape.label, **row})
            print(f"[streamk_plan] {len(rows)}/{total}", file=sys.stderr, flush=True)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    text = f"# CUTLASS stream-K scheduler's choice ({args.sms} SMs, default arguments)\n\n" + table(
        rows
    )
    if args.out is None:
        print(text, end="")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "streamk_plan.md").write_text(text)
    (args.out / "streamk_plan.json").write_text(json.dumps(rows, indent=1))
    print(f"streamk_plan: {len(rows)} rows -> {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.lab.streamk_plan`: the same as `w4a16 lab streamk`."""
    parser = argparse.ArgumentParser(
        prog="python -m w4a16.lab.streamk_plan", description=__doc__.split("\n\n")[0]
    )
    add_arguments(parser)
    return run_guarded(run, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
