"""`w4a16 patch ...`: put our test into a TensorRT-LLM checkout, or take it out again."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from w4a16 import paths
from w4a16.patches import drift, gitapply, intree, series


def _tree_and_series(args: argparse.Namespace) -> tuple[Path, list[series.Patch]]:
    tree = gitapply.check_tree(args.trtllm_dir)
    patches = series.read_series(args.patches_dir)
    warning = gitapply.pin_mismatch(tree)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return tree, patches


def _apply(args: argparse.Namespace) -> int:
    tree, patches = _tree_and_series(args)
    print(gitapply.apply(tree, patches, allow_dirty=args.allow_dirty))
    return 0


def _check(args: argparse.Namespace) -> int:
    tree, patches = _tree_and_series(args)
    print(gitapply.check(tree, patches, allow_dirty=args.allow_dirty))
    return 0


def _revert(args: argparse.Namespace) -> int:
    tree, patches = _tree_and_series(args)
    print(gitapply.revert(tree, patches))
    return 0


def _status(args: argparse.Namespace) -> int:
    tree, patches = _tree_and_series(args)
    print(f"{tree} at {gitapply.head_commit(tree) or 'no commit'}")
    for line in gitapply.status(tree, patches):
        print(line)
    return 0


def _refresh(args: argparse.Namespace) -> int:
    files = series.generate(args.cpp_tests)
    if args.check:
        stale = series.stale(files, args.out)
        if stale:
            print(
                f"{args.out} is out of date with {args.cpp_tests}: {', '.join(stale)}; "
                "run `w4a16 patch refresh`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.out} is up to date")
        return 0
    changed = series.write(files, args.out)
    extra = series.stale(files, args.out)
    print(f"wrote {', '.join(changed)}" if changed else f"{args.out} already up to date")
    if extra:
        print(f"warning: not in the series, remove by hand: {', '.join(extra)}", file=sys.stderr)
    return 0


def _in_tree_build(args: argparse.Namespace) -> int:
    binary = intree.build_in_tree(args.trtllm_dir, args.build_dir, args.jobs, args.patches_dir)
    print(binary)
    return 0


def _upstream_check(args: argparse.Namespace) -> int:
    patches = series.read_series(args.patches_dir)
    recorded = {v.key: v for v in ([] if args.write else drift.load_record(args.record))}
    found = []
    problems = 0
    for repo, commit, path in drift.scan(args.versions):
        v = drift.check_version(args.versions, repo, commit, path, patches)
        found.append(v)
        short = path.rsplit("/", 1)[-1]
        line = f"{short} {repo}@{commit[:8]} {v.sha256[:12]} {v.result}"
        if v.reason:
            line += f": {v.reason}"
        diff = None if args.write else drift.compare(v, recorded.get(v.key))
        if diff:
            problems += 1
            line += f"  <-- {diff}"
        print(line)
    if args.write:
        drift.write_record(found, args.record)
        print(f"wrote {len(found)} versions to {args.record}")
        return 0
    if problems:
        print(f"{problems} of {len(found)} versions differ from {args.record}", file=sys.stderr)
        return 1
    print(f"all {len(found)} versions match {args.record}")
    return 0


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of jobs, got {text!r}")
    return int(text)


def _tree_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trtllm-dir",
        type=Path,
        default=paths.SUBMODULE,
        metavar="DIR",
        help="TensorRT-LLM git checkout (default: %(default)s)",
    )
    p.add_argument(
        "--patches-dir",
        type=Path,
        default=paths.PATCHES,
        metavar="DIR",
        help="patch series to use (default: %(default)s)",
    )


def add_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "patch",
        help="apply/check/revert our test's patches in a TensorRT-LLM checkout",
        description="Manage the patch series that adds our test to a TensorRT-LLM checkout.",
    )
    sub = parser.add_subparsers(dest="patch_command", metavar="ACTION", required=True)

    p = sub.add_parser("apply", help="apply the series (already applied is fine)")
    _tree_options(p)
    p.add_argument("--allow-dirty", action="store_true", help="apply over local changes")
    p.set_defaults(func=_apply)

    p = sub.add_parser("check", help="say whether apply would succeed; change nothing")
    _tree_options(p)
    p.add_argument("--allow-dirty", action="store_true", help="ignore local changes")
    p.set_defaults(func=_check)

    p = sub.add_parser("revert", help="take the applied patches out again")
    _tree_options(p)
    p.set_defaults(func=_revert)

    p = sub.add_parser("status", help="show which patches are applied")
    _tree_options(p)
    p.set_defaults(func=_status)

    p = sub.add_parser("refresh", help="regenerate patches/ from cpp_tests/")
    p.add_argument(
        "--cpp-tests",
        type=Path,
        default=paths.CPP_TESTS,
        metavar="DIR",
        help="test sources (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=paths.PATCHES,
        metavar="DIR",
        help="where the series goes (default: %(default)s)",
    )
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if --out is out of date"
    )
    p.set_defaults(func=_refresh)

    p = sub.add_parser(
        "upstream-check",
        help="check the series against stored versions of the TensorRT-LLM files it edits",
        description="Check each stored upstream version (VERSIONS/<owner>/<repo>/<commit>/"
        "<path>) against the patches that edit that file, and compare with the record.",
    )
    p.add_argument(
        "--versions",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder of upstream versions, <owner>/<repo>/<commit>/<path in the repository>",
    )
    p.add_argument(
        "--patches-dir",
        type=Path,
        default=paths.PATCHES,
        metavar="DIR",
        help="patch series to check (default: %(default)s)",
    )
    p.add_argument(
        "--record",
        type=Path,
        default=drift.RECORD,
        metavar="FILE",
        help="the record to compare with or write (default: %(default)s)",
    )
    p.add_argument("--write", action="store_true", help="write the results into --record")
    p.set_defaults(func=_upstream_check)

    p = sub.add_parser(
        "in-tree-build", help="build our test inside a configured TensorRT-LLM build"
    )
    _tree_options(p)
    p.add_argument(
        "--build-dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="TensorRT-LLM's configured CMake build folder",
    )
    p.add_argument("-j", "--jobs", type=_jobs, default=None, help="parallel build jobs")
    p.set_defaults(func=_in_tree_build)
