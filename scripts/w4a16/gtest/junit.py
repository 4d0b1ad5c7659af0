"""Read gtest's XML reports and write one merged JUnit report.

Reading goes through junitparser's xunit2 classes because they know testcase
`<properties>` (RecordProperty); gtest's extra attributes (`status`, `file`,
`line`) are declared on small subclasses so nothing is read by hand.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from junitparser import Attr, Failure, Skipped, xunit2

from w4a16.gtest.results import (
    FAILED,
    KIND_DISABLED,
    KIND_NOT_RUN,
    PASSED,
    SKIPPED,
    CaseResult,
    message_of,
    split_location,
)


class _GTestCase(xunit2.TestCase):
    status = Attr()
    file = Attr()
    line = Attr()


class _GTestSuite(xunit2.TestSuite):
    testcase = _GTestCase


class _GTestReport(xunit2.JUnitXml):
    testsuite = _GTestSuite


def _properties(case: _GTestCase) -> list[tuple[str, str]]:
    return [(str(p.name), str(p.value)) for p in case.properties()]


def _line(case: _GTestCase) -> int | None:
    return int(case.line) if case.line and case.line.isdigit() else None


def _read_case(full_name: str, case: _GTestCase) -> CaseResult:
    result = CaseResult(
        name=full_name,
        outcome=PASSED,
        file=case.file or None,
        line=_line(case),
        duration=float(case.time or 0.0),
        properties=_properties(case),
    )
    if case.status == "notrun":
        disabled = "DISABLED_" in full_name
        result.outcome = SKIPPED
        result.kind = KIND_DISABLED if disabled else KIND_NOT_RUN
        result.message = (
            "disabled in gtest (DISABLED_ prefix)"
            if disabled
            else "gtest did not run this case (status=notrun)"
        )
        return result
    failures = [r for r in case.result if isinstance(r, Failure)]
    skips = [r for r in case.result if isinstance(r, Skipped)]
    chosen = failures or skips
    if not chosen:
        return result
    result.outcome = FAILED if failures else SKIPPED
    texts = [(r.text or r.message or "").strip() for r in chosen]
    result.details = "\n\n".join(texts)
    result.message = message_of(texts[0]) or ("GTEST_SKIP()" if skips and not failures else "")
    file, line = split_location(texts[0])
    if file is not None:
        result.file, result.line = file, line
    return result


def read_gtest_xml(path: str | os.PathLike[str]) -> dict[str, CaseResult]:
    """Results by `Suite.Case` name from the XML one gtest process wrote."""
    report = _GTestReport.fromfile(str(path))
    results: dict[str, CaseResult] = {}
    for suite in report:
        for case in suite:
            full_name = f"{suite.name}.{case.name}"
            results[full_name] = _read_case(full_name, case)
    return results


def read_locations(path: str | os.PathLike[str]) -> dict[str, tuple[str | None, int | None]]:
    """Case name -> (source file, line) for every case in the XML gtest writes while listing,
    in its order; (None, None) where the XML gives no location."""
    report = _GTestReport.fromfile(str(path))
    where: dict[str, tuple[str | None, int | None]] = {}
    for suite in report:
        for case in suite:
            where[f"{suite.name}.{case.name}"] = (case.file or None, _line(case))
    return where


def _testcase(result: CaseResult, classname: str) -> _GTestCase:
    case = _GTestCase(name=result.case, classname=classname, time=result.duration)
    if result.file:
        case.file = result.file
    if result.line is not None:
        case.line = str(result.line)
    if result.outcome == FAILED:
        failure = Failure(message=result.message or "failed")
        failure.text = result.details or result.message
        case.result = [failure]
    elif result.outcome == SKIPPED:
        skipped = Skipped(message=result.message or "skipped")
        if result.details:
            skipped.text = result.details
        case.result = [skipped]
    for name, value in result.properties:
        case.add_property(name, value)
    if result.output and result.outcome == FAILED:
        case.system_out = result.output
    return case


def build_report(results_by_binary: Mapping[str, Iterable[CaseResult]]) -> xunit2.JUnitXml:
    """One JUnit document: a <testsuite> per gtest suite, prefixed by binary when several."""
    report = xunit2.JUnitXml(name=next(iter(results_by_binary), "gtest"))
    several = len(results_by_binary) > 1
    for binary, results in results_by_binary.items():
        suites: dict[str, xunit2.TestSuite] = {}
        for result in results:
            name = f"{binary}:{result.suite}" if several else result.suite
            suite = suites.get(name)
            if suite is None:
                suite = suites[name] = xunit2.TestSuite(name)
            suite.add_testcase(_testcase(result, name))
        for suite in suites.values():
            suite.update_statistics()
            report.append(suite)
    report.update_statistics()
    return report


def write_report(
    results_by_binary: Mapping[str, Iterable[CaseResult]], path: str | os.PathLike[str]
) -> Path:
    """Write the merged report to `path` (parent folders created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    build_report(results_by_binary).write(str(target))
    return target
