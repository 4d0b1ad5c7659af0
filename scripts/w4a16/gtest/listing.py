"""Discover the cases of a gtest binary from `--gtest_list_tests`.

The listing is parsed from the console text (the one format every gtest version
prints); the XML gtest also writes while listing (1.10+) only adds each case's
source file and line when it is there.
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


def _locations(xml_path: Path) -> dict[str, tuple[str, int]]:
    """Case name -> (file, line) from the XML a listing run leaves, or {} if absent."""
    from w4a16.gtest.junit import read_locations

    if not xml_path.is_file() or xml_path.stat().st_size == 0:
        return {}
    try:
        return read_locations(xml_path)
    except Exception:  # locations are optional decoration
        return {}


def list_cases(
    binary: str | os.PathLike[str],
    *,
    gtest_filter: str = "*",
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
) -> list[CaseInfo]:
    """Run `binary --gtest_list_tests` and return its cases in gtest's order."""
    path = Path(binary)
    if not path.is_file():
        raise UserError(f"gtest binary not found: {path}")
    with tempfile.TemporaryDirectory(prefix="w4a16-list-") as tmp:
        xml_path = Path(tmp) / "list.xml"
        command = [
            str(path),
            "--gtest_list_tests",
            f"--gtest_filter={gtest_filter}",
            f"--gtest_output=xml:{xml_path}",
        ]
        try:
            proc = subprocess.run(
                command,
                capture_output=True,
                stdin=subprocess.DEVNULL,
                env=gtest_environment(env),
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
        cases = parse_listing(text)
        if not cases and "Running main() from" not in text and text.strip():
            raise UserError(f"{path} does not look like a gtest binary (unexpected listing)")
        where = _locations(xml_path)
    return [
        CaseInfo(c.name, c.type_param, c.value_param, *where.get(c.name, (None, None)))
        for c in cases
    ]
