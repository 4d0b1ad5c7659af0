"""`w4a16 lab`: the kernel-study tools, one subcommand each.

  variants   time build variants and launcher knobs against each other (w4a16.lab.experiment)
  profile    Nsight Compute metrics and SASS instruction counts (w4a16.lab.profile)
  model      fit a fixed + per-k-block time model to bench.json rows (w4a16.lab.decode_model)
  streamk    CUTLASS's stream-K scheduler choice per tactic and shape (w4a16.lab.streamk_plan)
  crossover  where the CUDA-core GEMV and the CUTLASS tactics cross over (w4a16.lab.crossover)

Each module also runs alone as `python -m w4a16.lab.<module>` with the same arguments.
See docs/lab.md.
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType

# subcommand -> (module, one-line help)
TOOLS: dict[str, tuple[str, str]] = {
    "variants": ("w4a16.lab.experiment",
                 "time build variants and launcher knob settings against each other (a plan)"),
    "profile": ("w4a16.lab.profile",
                "Nsight Compute metrics and SASS instruction counts of bench binaries"),
    "model": ("w4a16.lab.decode_model",
              "fit time = fixed + per_kblock x work to a bench.json's decode-size rows"),
    "streamk": ("w4a16.lab.streamk_plan",
                "how CUTLASS's stream-K scheduler splits each cooperative tactic (no GPU)"),
    "crossover": ("w4a16.lab.crossover",
                  "where the CUDA-core GEMV and the CUTLASS tactics cross over, from records"),
}


def _tool(name: str) -> ModuleType:
    return importlib.import_module(TOOLS[name][0])


def add_command(subparsers: argparse._SubParsersAction) -> None:
    lab = subparsers.add_parser(
        "lab", help="kernel-study tools: variant experiments, profiles, time models, "
        "stream-K plan, GEMV crossover", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    tools = lab.add_subparsers(dest="lab_command", metavar="TOOL", required=True)
    for name, (_, short) in TOOLS.items():
        module = _tool(name)
        p = tools.add_parser(name, help=short, description=module.__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
