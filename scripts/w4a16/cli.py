"""The `w4a16` command: one subcommand per step of the data flow.

Each step's module exposes `add_command(subparsers)`; errors the user can fix are
`UserError`s and print as one line.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from w4a16.errors import UserError

# Modules that contribute subcommands, in data-flow order.
COMMAND_MODULES = (
    "w4a16.sources",
    "w4a16.patches.command",
    "w4a16.instantiations",
    "w4a16.build",
    "w4a16.gtest.command",
    "w4a16.reliability",
    "w4a16.bench.command",
    "w4a16.bench.try_cmd",
    "w4a16.lab.command",
)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="w4a16",
        description="Build, verify and benchmark TensorRT-LLM's W4A16 GEMM on Hopper (SM90).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return run_guarded(args.func, args)


def run_guarded(func: Callable[[argparse.Namespace], int | None],
                args: argparse.Namespace) -> int:
    """Run a command: a UserError prints as one `error:` line, never a traceback."""
    try:
        return int(func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
