"""`w4a16 bench`: time every W4A16 tactic, cuBLAS and torch's int4 matmul on model or any
weight shapes, against this machine's roofline, and write bench.json, report.md and plots.

Default sweep: Llama-3-8B and Llama-2-70B projections (qkv, o, gate_up, down) x M in
1..8192 (powers of two) x fp16 and bf16, group 128, scale-only. `--models` picks other
presets (llama3-70b, qwen2.5-7b, qwen2.5-72b, or all), `--shape N,K` adds any weight shape.
It runs the bench binary (w4a16SM90Bench, built by `w4a16 build`) once per (shape, dtype) and
torch in this process, one after the other on each GPU, so nothing competes for a GPU;
`--gpus 0,1` spreads those jobs over several GPUs. `--report-only` rebuilds the report from a
bench.json without a GPU.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from w4a16.argtypes import positive
from w4a16.bench import binary, gpus, report, shapes, sweep
from w4a16.bench.timing import Sampling
from w4a16.cli import run_guarded
from w4a16.errors import UserError
from w4a16.peers import machete


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = Sampling()
    p.add_argument("--out", type=Path, default=Path("reports/bench"),
                   help="folder for bench.json, report.md, the PNGs, the raw binary records "
                   "and the binary's log, one per GPU with --gpus (default: reports/bench)")
    p.add_argument("--binary", type=Path, default=None,
                   help="the w4a16SM90Bench binary (default: $W4A16_BENCH_BINARY, else "
                   "build/full's or build/slim's, the one built last)")
    p.add_argument("--models", default=None,
                   help=f"comma-separated model presets: {', '.join(shapes.MODELS)}, or all "
                   f"(default: {','.join(shapes.DEFAULT_MODELS)}; none when --shape is given)")
    p.add_argument("--layers", default="all",
                   help=f"comma-separated layers of the presets: {', '.join(shapes.LAYERS)} "
                   "(default: all)")
    p.add_argument("--shape", action="append", default=[], metavar="N,K",
                   help="also time this weight shape, out[M,N] = A[M,K] @ W[K,N]; repeatable. "
                   "N a multiple of 8, K a multiple of the group. Alone it replaces the presets; "
                   "with --models both run")
    p.add_argument("--m", default="all",
                   help="comma-separated token counts M (default: all = 1,2,4,...,8192)")
    p.add_argument("--dtypes", default="all",
                   help="comma-separated activation types: fp16,bf16 (default: all)")
    p.add_argument("--group", type=int, default=shapes.GROUP,
                   help=f"quantization group size, a multiple of 64: 64 or 128 as TensorRT-LLM "
                   f"uses them (default {shapes.GROUP})")
    p.add_argument("--quant-op", default=shapes.QUANT, choices=shapes.QUANT_OPS,
                   help="scale_only (int4 x scale) or scale_zeros (int4 x scale + zero); the "
                   f"binary must be built with it (default {shapes.QUANT})")
    p.add_argument("--gpus", default=None, metavar="LIST",
                   help="spread the (shape, dtype) jobs over these GPUs, e.g. 0,1 or all: one "
                   "bench-binary process per job, pinned with CUDA_VISIBLE_DEVICES; results are "
                   "merged in the one-GPU order (default: the current GPU only)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: llama3-8b qkv and down, M 1,16,256,4096, fp16 (overrides "
                   "--models, --layers, --shape, --m, --dtypes)")
    p.add_argument("--tactics", default="all",
                   help="comma-separated tactic names to time (as `w4a16SM90Bench --list` "
                   "prints them; default all). TensorRT-LLM's default is config 0, or "
                   "cuda_core_gemv at M < 5 where the binary has it.")
    p.add_argument("--no-int4pack", action="store_true",
                   help="skip torch's _weight_int4pack_mm baseline")
    p.add_argument("--budget-ms", type=positive(float), default=d.budget_ms,
                   help=f"sampling time per kernel per problem (default {d.budget_ms:g})")
    p.add_argument("--min-samples", type=positive(int), default=d.min_samples,
                   help=f"fewest samples per kernel, whatever the budget (default "
                   f"{d.min_samples})")
    p.add_argument("--max-samples", type=positive(int), default=d.max_samples,
                   help=f"most samples per kernel (default {d.max_samples})")
    p.add_argument("--sample-us", type=positive(float), default=d.sample_us,
                   help="target length of one sample, a CUDA-graph replay of several launches "
                   f"(default {d.sample_us:g})")
    p.add_argument("--max-launches", type=positive(int), default=d.max_launches,
                   help=f"most launches in one graph (default {d.max_launches})")
    p.add_argument("--l2-factor", type=positive(float), default=d.l2_factor,
                   help="operand copies exceed this many times the L2 size (default "
                   f"{d.l2_factor:g})")
    p.add_argument("--settle-ms", type=positive(float, zero_ok=True), default=d.settle_ms,
                   help="before sampling each kernel, replay it untimed for about this many "
                   "ms: at compute-bound sizes the GPU reaches its power cap within "
                   "milliseconds, and without settling a kernel's time depends on what ran "
                   "before it (default 0; docs/bench.md says when to use it)")
    p.add_argument("--seed", type=int, default=1234, help="random seed of all inputs")
    p.add_argument("--time-limit", type=positive(float), default=None, metavar="SECONDS",
                   help="start no new (shape, dtype) job after this many seconds; the report "
                   "covers what was measured and names what was not (default: no limit)")
    p.add_argument("--machete-dir", type=Path, metavar="DIR",
                   help="also time vLLM's Machete (fp16, scale-only jobs only), same method, "
                   "each job right after the bench binary: DIR is a Machete source tree (a vLLM "
                   "checkout's csrc/quantization/machete layout, or an extraction such as "
                   "../shared/peers/machete); its peer bench binary is built into "
                   "build/machete first, one schedule per unit (default: no Machete column)")
    p.add_argument("--machete-binary", type=Path, metavar="PATH",
                   help="a w4a16MacheteBench built earlier (`python -m w4a16.peers.machete "
                   "build`), instead of building one from --machete-dir")
    p.add_argument("--machete-schedules", default="all", metavar="NAMES",
                   help="comma-separated Machete schedules to time, as `w4a16MacheteBench "
                   "--list` prints them (with or without the machete_ prefix), `heuristic` for "
                   "the pick of Machete's own heuristic; with --settle-ms each kernel costs "
                   "about a second per problem, so a large-M sweep can leave out the schedules "
                   "that cannot win there (default all)")
    p.add_argument("--report-only", type=Path, metavar="BENCH_JSON",
                   help="no measurement: rebuild report.md and the PNGs in --out from this "
                   "bench.json (or bench.json.gz)")


def settings_from_args(args: argparse.Namespace) -> sweep.SweepSettings:
    custom = list(dict.fromkeys(shapes.parse_shape(text) for text in args.shape))
    if args.quick:
        q = shapes.QUICK
        models, layers, ms, dtypes = q["models"], q["layers"], q["ms"], q["dtypes"]
        custom = []
    else:
        if args.models is not None:
            models = shapes.parse_names(args.models, shapes.MODELS, "model")
        else:
            models = () if custom else shapes.DEFAULT_MODELS
        layers = shapes.parse_names(args.layers, shapes.LAYERS, "layer")
        ms = shapes.parse_ms(args.m)
        dtypes = shapes.parse_names(args.dtypes, shapes.DTYPES, "dtype")
    selected = shapes.shapes(models, layers) + custom
    shapes.check_shapes(selected, args.group)
    if args.min_samples > args.max_samples:
        raise UserError("--min-samples is larger than --max-samples")
    sampling = Sampling(budget_ms=args.budget_ms, min_samples=args.min_samples,
                max_samples=args.max_samples, sample_us=args.sample_us,
                max_launches=args.max_launches, l2_factor=args.l2_factor,
                settle_ms=args.settle_ms)
    return sweep.SweepSettings(
        out_dir=args.out, binary=args.binary or binary.default_bench_binary(),
        shapes=selected, ms=tuple(ms), dtypes=tuple(dtypes), group=args.group,
        quant=shapes.check_quant(args.quant_op), sampling=sampling, tactics=args.tactics,
        int4pack=not args.no_int4pack, seed=args.seed, time_limit_s=args.time_limit,
        gpus=gpus.parse(args.gpus) if args.gpus is not None else ())


def machete_binary(args: argparse.Namespace) -> Path | None:
    """The peer binary to run: --machete-binary as given, else one built from --machete-dir,
    else None (no peer)."""
    if args.machete_binary is not None:
        if not args.machete_binary.is_file():
            raise UserError(f"--machete-binary {args.machete_binary} does not exist")
        return args.machete_binary
    if args.machete_dir is None:
        return None
    from w4a16.build import default_jobs  # only a build needs it

    tree = machete.locate(args.machete_dir)
    return machete.build(tree, machete.default_build_dir(), default_jobs())


def _report_only(path: Path, out_dir: Path) -> int:
    try:
        doc = report.load(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from None
    for written in sweep.finish_report(doc, out_dir):
        print(f"[bench] wrote {written}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.report_only is not None:
        return _report_only(args.report_only, args.out)
    settings = settings_from_args(args)
    settings.machete = machete_binary(args)
    if args.machete_schedules != "all" and settings.machete is None:
        raise UserError("--machete-schedules needs a Machete peer: --machete-binary or "
                        "--machete-dir")
    if settings.machete is not None:
        machete.check_schedules(settings.machete, args.machete_schedules)
    settings.machete_schedules = args.machete_schedules
    # Under the w4a16 command sys.argv[1] is already "bench".
    run = sweep.Sweep(settings, ["w4a16", *sys.argv[1:]] if args.argv is None
                      else args.argv)
    try:
        doc = run.run()
    finally:
        if run.doc.machine is not None:
            for written in sweep.finish_report(run.doc, settings.out_dir):
                print(f"[bench] wrote {written}", flush=True)
    print(f"[bench] done in {doc.seconds:.0f} s: {len(doc.problems)} problems, "
          f"{len(doc.errors)} errors", flush=True)
    return 1 if doc.errors else 0


def add_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench", help="time every W4A16 tactic vs cuBLAS and the roofline (model presets or "
        "any N,K)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    p.set_defaults(func=_cmd_bench, argv=None)


def main(argv: list[str] | None = None) -> int:
    """`python -m w4a16.bench`: the same command without the `w4a16` front end."""
    parser = argparse.ArgumentParser(prog="python -m w4a16.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    args.argv = ["python", "-m", "w4a16.bench", *(sys.argv[1:] if argv is None else argv)]
    return run_guarded(_cmd_bench, args)
