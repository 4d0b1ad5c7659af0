"""Merge the JUnit reports of CI shards into one.

Works on any JUnit XML: `w4a16 run --xml`, the bridge's `--gtest-merged-xml`, and
pytest's own `--junitxml`. Test suites of the same name become one suite. Each testcase
element is copied whole, so its properties (tactic, rel_error, device, ...), failure
and skip texts, output and gtest's `file`/`line` attributes stay as they were. A case
found in two reports means the shards overlap (or a report was given twice); that is
an error, not something to paper over.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from junitparser import JUnitXml, JUnitXmlError, TestSuite

from w4a16.errors import UserError


@dataclass
class MergeSummary:
    """What merge_reports wrote."""

    path: Path
    reports: int
    suites: int
    cases: int
    failures: int
    errors: int
    skipped: int

    def __str__(self) -> str:
        return (
            f"merged {self.reports} reports: {self.cases} cases in {self.suites} suites "
            f"({self.failures} failed, {self.errors} errors, {self.skipped} skipped) "
            f"-> {self.path}"
        )


def _read(path: Path) -> JUnitXml:
    if not path.is_file():
        raise UserError(f"JUnit report not found: {path}")
    try:
        return JUnitXml.fromfile(str(path))
    except JUnitXmlError:
        raise UserError(f"{path}: not a JUnit report (root is neither testsuites nor "
                        "testsuite)") from None
    except Exception as exc:  # lxml and ElementTree raise different parse errors
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: cannot read XML: {first}") from None


def _label(suite: str, classname: str, name: str) -> str:
    """`Suite.Case` for gtest's reports; pytest's also name their suite."""
    if not classname or classname == suite:
        return f"{suite}.{name}"
    return f"{classname}.{name} (suite {suite})"


def _add_properties(target: TestSuite, source: TestSuite) -> None:
    """Suite-level properties of `source` that `target` lacks (pytest writes some)."""
    have = {(str(p.name), str(p.value)) for p in target.properties()}
    for prop in source.properties():
        pair = (str(prop.name), str(prop.value))
        if pair not in have:
            target.add_property(*pair)
            have.add(pair)


def merge_reports(
    inputs: Sequence[str | os.PathLike[str]], output: str | os.PathLike[str]
) -> MergeSummary:
    """Write one JUnit report with every testcase of `inputs`; UserError on a duplicate case."""
    paths = [Path(p) for p in inputs]
    if not paths:
        raise UserError("no JUnit reports to merge")
    merged = JUnitXml()
    suites: dict[str, TestSuite] = {}
    seen: dict[tuple[str, str, str], Path] = {}
    for path in paths:
        for suite in _read(path):
            name = str(suite.name or "")
            target = suites.get(name)
            if target is None:
                # The first time a suite appears: it is kept with its attributes and
                # properties, and empty of cases, which follow below.
                element = copy.deepcopy(suite._elem)
                for case_element in element.findall("testcase"):
                    element.remove(case_element)
                target = suites[name] = TestSuite.fromelem(element)
                merged.add_testsuite(target)
            else:
                _add_properties(target, suite)
            for case in suite:
                key = (name, str(case.classname or ""), str(case.name or ""))
                earlier = seen.get(key)
                if earlier is not None:
                    where = f"in {path} twice" if earlier == path else (
                        f"in both {earlier} and {path}")
                    raise UserError(
                        f"case {_label(*key)} is {where}: the shards overlap or a report "
                        "was given twice"
                    )
                seen[key] = path
                target._elem.append(copy.deepcopy(case._elem))
    for target in suites.values():
        target.update_statistics()
    merged.update_statistics()
    destination = Path(output)
    destination.parent.mkdir(parents=True, exist_ok=True)
    merged.write(str(destination))
    return MergeSummary(
        path=destination,
        reports=len(paths),
        suites=len(suites),
        cases=len(seen),
        failures=int(merged.failures or 0),
        errors=int(merged.errors or 0),
        skipped=int(merged.skipped or 0),
    )
