"""`w4a16 run`: run a gtest binary (or one CI shard of it) through the batch runner and
summarise it; `w4a16 merge-junit`: merge the shards' JUnit reports into one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from w4a16.argtypes import positive
from w4a16.errors import UserError
from w4a16.gtest.listing import list_cases
from w4a16.gtest.merge import merge_reports
from w4a16.gtest.results import FAILED, SKIPPED, describe_devices, device_of
from w4a16.gtest.runner import DEFAULT_BATCH_TIMEOUT, DEFAULT_CASE_TIMEOUT, run_all
from w4a16.gtest.shards import Shard, parse_shard
from w4a16.paths import default_binary


def shard_argument(text: str) -> Shard:
    """argparse type= for `I/N`, with a one-line error otherwise."""
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


shard_argument.__name__ = "shard"


def add_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a gtest binary in batches and write a merged JUnit report",
        description=(
            "Run the cases of a gtest binary in as few processes as possible. A case "
            "that crashes or hangs is failed and the rest continue in a new process."
        ),
    )
    parser.add_argument(
        "binary",
        nargs="?",
        type=Path,
        help="gtest binary (default: $W4A16_BINARY, else build/full's or build/slim's, "
        "the one built last)",
    )
    parser.add_argument(
        "--filter", default="*", metavar="PATTERN", help="gtest filter, e.g. 'Suite.*-*Slow*'"
    )
    parser.add_argument(
        "--xml", type=Path, metavar="PATH", help="write the merged JUnit XML report here"
    )
    parser.add_argument(
        "--case-timeout",
        type=positive(float),
        default=DEFAULT_CASE_TIMEOUT,
        metavar="S",
        help="seconds one case may run before it is killed (default: %(default)g)",
    )
    parser.add_argument(
        "--batch-timeout",
        type=positive(float),
        default=DEFAULT_BATCH_TIMEOUT,
        metavar="S",
        help="seconds the whole run may take (default: %(default)g)",
    )
    parser.add_argument(
        "--gtest-shard",
        type=shard_argument,
        metavar="I/N",
        help="run only shard I of N (0 <= I < N): the cases the binary itself runs with "
        "GTEST_TOTAL_SHARDS=N GTEST_SHARD_INDEX=I, among those --filter selects; merge the "
        "shards' --xml reports with 'w4a16 merge-junit'",
    )
    parser.add_argument(
        "--list", action="store_true", help="only list the selected cases (of the shard, if any)"
    )
    parser.set_defaults(func=run_command)

    merge = subparsers.add_parser(
        "merge-junit",
        help="merge the JUnit reports of CI shards into one",
        description=(
            "Merge JUnit XML reports (w4a16 run --xml, pytest --gtest-merged-xml or "
            "--junitxml) into one. Suites of the same name become one suite; every testcase "
            "is kept whole, with its properties (tactic, rel_error, device, ...). A case "
            "that is in two reports is an error: the shards overlap."
        ),
    )
    merge.add_argument("output", type=Path, metavar="OUT.xml", help="the merged report to write")
    merge.add_argument(
        "inputs", type=Path, nargs="+", metavar="IN.xml", help="the shards' reports, in order"
    )
    merge.set_defaults(func=merge_command)


def _one_line(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _list(binary: Path, gtest_filter: str, shard: Shard | None) -> int:
    for case in list_cases(binary, gtest_filter=gtest_filter, shard=shard):
        extra = case.value_param or case.type_param
        print(f"{case.name}  # {extra}" if extra else case.name)
    return 0


def run_command(args: argparse.Namespace) -> int:
    binary: Path = args.binary or default_binary()
    if not binary.is_file():
        raise UserError(f"gtest binary not found: {binary} (build it or name one)")
    if args.list:
        return _list(binary, args.filter, args.gtest_shard)
    summary = run_all(
        binary,
        args.xml,
        gtest_filter=args.filter,
        case_timeout=args.case_timeout,
        batch_timeout=args.batch_timeout,
        shard=args.gtest_shard,
    )
    results = list(summary.results.values())
    width = max((len(r.name) for r in results), default=4)
    print(f"{'case':<{width}}  {'outcome':<7}  {'time':>8}  message")
    for result in results:
        first = _one_line(result.message) if result.outcome in (FAILED, SKIPPED) else ""
        line = f"{result.name:<{width}}  {result.outcome:<7}  {result.duration:>7.3f}s  {first}"
        print(line.rstrip())
    devices = describe_devices(device_of(r.properties) for r in results)
    if devices is not None:
        print(f"cases per device: {devices}")
    print(summary)
    if not results:
        where = f" in shard {args.gtest_shard}" if args.gtest_shard else ""
        print(f"warning: no case of {binary} matches {args.filter!r}{where}", file=sys.stderr)
    return 0 if summary.ok else 1


def merge_command(args: argparse.Namespace) -> int:
    print(merge_reports(args.inputs, args.output))
    return 0
