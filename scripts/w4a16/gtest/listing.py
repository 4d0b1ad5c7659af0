"""Discover the cases of a gtest binary from `--gtest_list_tests`.

The listing is parsed from the console text (the one format every gtest version
prints); the XML gtest also writes while listing (1.10+) adds each case's source
file and line when it is there, and, with GTEST_TOTAL_SHARDS/GTEST_SHARD_INDEX set,
names the cases of that shard (the console listing ignores sharding).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from w4a16.errors import UserError
from w4a16.gtest.environment import gtest_environment
from w4a16.gtest.shards import Shard, shard_by_rule

# Listing runs no case, only start-up (slow where CUDA libraries load); longer means a hang.
LISTING_TIMEOUT_S = 120.0

# `Suite.` or `Prefix/Suite/0.  # TypeParam = int` at column 0.
_SUITE_LINE = re.compile(r"^(?P<suite>[A-Za-z_][\w/]*)\.(?:\s+# TypeParam = (?P<type>.*))?$")
# `  Case` or `  Case/3  # GetParam() = (1, 2)` indented by two spaces.
_CASE_LINE = re.compile(r"^  (?P<case>[A-Za-z_][\w/]*)(?:\s+# GetParam\(\) = (?P<value>.*))?$")


@dataclass(frozen=True)
class CaseInfo:
    """One case as listed: full name plus what the listing says about it."""

    name: str
    type_param: str | None = None
    value_param: str | None = None
    file: str | None = None
    line: int | None = None

    @property
    def suite(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def disabled(self) -> bool:
        suite, case = self.name.split(".", 1)
        return any(part.startswith("DISABLED_") for part in (*suite.split("/"), case))


def parse_listing(text: str) -> list[CaseInfo]:
    """Cases in `--gtest_list_tests` output; lines that are neither suite nor case are ignored."""
    cases: list[CaseInfo] = []
    suite: str | None = None
    type_param: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        suite_match = _SUITE_LINE.match(line)
        if suite_match:
            suite, type_param = suite_match.group("suite"), suite_match.group("type")
            continue
        case_match = _CASE_LINE.match(line)
        if case_match and suite is not None:
            cases.append(
                CaseInfo(
                    name=f"{suite}.{case_match.group('case')}",
                    type_param=type_param,
                    value_param=case_match.group("value"),
                )
            )
        elif not line.startswith(" "):
            suite = None  # a stray line ends the current suite's block
    return cases


def _reported(xml_path: Path) -> dict[str, tuple[str | None, int | None]] | None:
    """Case name -> (file, line) of every case in the XML a listing run leaves, in order;
    None when there is no such XML (gtest before 1.10) or it cannot be read."""
    from w4a16.gtest.junit import read_locations

    if not xml_path.is_file() or xml_path.stat().st_size == 0:
        return None
    try:
        return read_locations(xml_path)
    except Exception:  # without it: no source lines, and shards follow the rule
        return None


@dataclass(frozen=True)
class Listing:
    """What one `--gtest_list_tests` run said."""

    cases: list[CaseInfo]  # every case that passes the filter, in gtest's order
    shard: Shard | None = None
    in_shard: frozenset[str] | None = None  # names of the shard's cases (None: no shard)

    def selected(self) -> list[CaseInfo]:
        """The cases this run would execute: the shard's, or all without a shard."""
        if self.in_shard is None:
            return list(self.cases)
        return [case for case in self.cases if case.name in self.in_shard]


def read_listing(
    binary: str | os.PathLike[str],
    *,
    gtest_filter: str = "*",
    timeout: float = LISTING_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
    shard: Shard | None = None,
) -> Listing:
    """Run `binary --gtest_list_tests` once: its cases, and with `shard` the ones that shard
    runs (named by the binary itself: see w4a16.gtest.shards)."""
    path = Path(binary)
    if not path.is_file():
        raise UserError(f"gtest binary not found: {path}")
    extra = shard.environment() if shard is not None else {}
    with tempfile.TemporaryDirectory(prefix="w4a16-list-") as tmp:
        xml_path = Path(tmp) / "list.xml"
        command = [
            str(path.absolute()),  # "bin" alone would be looked up in PATH
            "--gtest_list_tests",
            f"--gtest_filter={gtest_filter}",
            f"--gtest_output=xml:{xml_path}",
        ]
        try:
            proc = subprocess.run(
                command,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                env=gtest_environment(env, **extra),
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise UserError(f"{path} --gtest_list_tests did not finish in {timeout:g} s") from exc
        except OSError as exc:
            raise UserError(f"cannot run {path}: {exc.strerror or exc}") from exc
        text = proc.stdout.decode("utf-8", errors="replace")
        if proc.returncode != 0:
            tail = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
            detail = f": {tail[0]}" if tail else ""
            raise UserError(
                f"{path} --gtest_list_tests exited with status {proc.returncode}{detail}"
            )
        listed = parse_listing(text)
        if not listed and "Running main() from" not in text and text.strip():
            raise UserError(f"{path} does not look like a gtest binary (unexpected listing)")
        reported = _reported(xml_path)
    where = reported or {}
    cases = [
        CaseInfo(c.name, c.type_param, c.value_param, *where.get(c.name, (None, None)))
        for c in listed
    ]
    if shard is None:
        return Listing(cases)
    if reported is not None:
        # The binary's own answer: its listing XML holds only the shard's cases.
        names = {case.name for case in cases}
        members = frozenset(name for name in reported if name in names)
    else:
        members = frozenset(case.name for case in shard_by_rule(cases, shard))
    return Listing(cases, shard, members)


def list_cases(
    binary: str | os.PathLike[str],
    *,
    gtest_filter: str = "*",
    timeout: float = LISTING_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
    shard: Shard | None = None,
) -> list[CaseInfo]:
    """Run `binary --gtest_list_tests` and return its cases in gtest's order; with `shard`,
    only the cases that shard runs."""
    return read_listing(
        binary, gtest_filter=gtest_filter, timeout=timeout, env=env, shard=shard
    ).selected()
