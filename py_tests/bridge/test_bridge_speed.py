"""How much the bridge costs: 300 trivial cases, three ways.

(a) the binary alone, one process; (b) pytest collecting and running the 300
items through the bridge, in-process, nothing subtracted; (c) what pytest-cpp
does: pytest collecting the same 300 items from one --gtest_list_tests, each
item running its own process with --gtest_filter and reading that process's
XML report back (a small stand-in plugin below, also in-process). The bare
process loop without pytest, (c0), is printed too.

Both (b) and (c) include pytest's fixed cost per session (configuration, plugin set-up,
and at exit pytest's garbage-collection passes, which in-process scale with the heap of
the process running this test): (e), an empty session with the same flags and without the
bridge (whose set-up counts in (b)). The test prints (c - e) / (b - e), what running the
300 cases adds to that fixed cost, and the end-to-end ratio c / b.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml
from w4a16.gtest.listing import list_cases

CASES = 300
# The issue asks for 10x over (c). Measured here (2-core VM, docs/bridge.md "Speed"): 9.6 to
# 15x on (c - e) / (b - e), 8.1 to 10.6x end to end, varying from run to run with the load of
# the machine. 10x is not reached reliably, so it is not what this test asserts: it guards
# against regressions (a 2x slower bridge fails) and prints the figures for the record.
MIN_SPEEDUP_GUARD = 5.0
# Plugins unrelated to the bridge that may be installed; they are not what is measured.
UNRELATED = ("no:cacheprovider", "no:hypothesispytest", "no:benchmark", "no:randomly")


# A stand-in for pytest-cpp: one item per case, one process per item, XML read back.
ONE_PROCESS_PER_CASE_PLUGIN = """
import subprocess
import pytest
from junitparser import JUnitXml

BINARY = {binary!r}


def pytest_collect_file(file_path, parent):
    if file_path.name == "cases.gtest":
        return OneProcessFile.from_parent(parent, path=file_path)


class OneProcessFile(pytest.File):
    def collect(self):
        listing = subprocess.run([BINARY, "--gtest_list_tests"], capture_output=True,
                                 text=True, check=True).stdout
        suite = ""
        for line in listing.splitlines():
            if not line.startswith(" "):
                suite = line.strip()
            else:
                name = suite + line.split("#")[0].strip()
                yield OneProcessCase.from_parent(self, name=name)


class OneProcessCase(pytest.Item):
    def runtest(self):
        xml = self.path.parent / "one.xml"
        proc = subprocess.run([BINARY, "--gtest_filter=" + self.name,
                               "--gtest_output=xml:" + str(xml)], capture_output=True)
        cases = [case for suite in JUnitXml.fromfile(str(xml)) for case in suite]
        assert proc.returncode == 0 and len(cases) == 1 and cases[0].is_passed
"""


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def test_bridge_cost_per_case(
    pytester: pytest.Pytester,
    gtest_bins: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    binary = gtest_bins["many"]
    names = [case.name for case in list_cases(binary)]
    assert len(names) == CASES

    alone = best_of(3, lambda: subprocess.run([binary], capture_output=True, check=True))

    pytester.makeini("[pytest]\n")
    disabled = [arg for plugin in UNRELATED for arg in ("-p", plugin)]

    def bridge() -> None:
        result = pytester.runpytest_inprocess(f"--gtest-binary={binary}", "-q", *disabled)
        result.assert_outcomes(passed=CASES)

    bridged = best_of(3, bridge)

    def bare_process_loop() -> None:
        xml = tmp_path / "one.xml"
        for name in names:
            subprocess.run(
                [binary, f"--gtest_filter={name}", f"--gtest_output=xml:{xml}"],
                capture_output=True,
                check=True,
            )
            assert sum(len(suite) for suite in JUnitXml.fromfile(str(xml))) == 1

    bare = best_of(1, bare_process_loop)

    other = pytester.mkdir("one_process_per_case")
    (other / "conftest.py").write_text(ONE_PROCESS_PER_CASE_PLUGIN.format(binary=str(binary)))
    (other / "cases.gtest").write_text("")

    def pytest_cpp_way() -> None:
        result = pytester.runpytest_inprocess(str(other), "-q", "-p", "no:w4a16_gtest",
                                              *disabled)
        result.assert_outcomes(passed=CASES)

    per_case = best_of(1, pytest_cpp_way)

    empty = pytester.mkdir("empty_session")

    def empty_session() -> None:
        # Without the bridge: its own set-up is part of what (b) measures.
        result = pytester.runpytest_inprocess(str(empty), "-q", "-p", "no:w4a16_gtest",
                                              *disabled)
        assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED

    fixed = best_of(3, empty_session)
    speedup = (per_case - fixed) / max(bridged - fixed, 1e-6)

    overhead_ms = (bridged - alone) / CASES * 1000
    with capsys.disabled():
        print(
            f"\n[bridge speed, {CASES} trivial cases] (a) binary alone {alone * 1000:.1f} ms;"
            f" (b) bridge {bridged * 1000:.0f} ms, {overhead_ms:.2f} ms/case over (a);"
            f" (c) pytest, one process per case {per_case * 1000:.0f} ms"
            f" [(c0) the bare process loop {bare * 1000:.0f} ms];"
            f" (e) empty pytest session {fixed * 1000:.0f} ms;"
            f" (c-e)/(b-e) = {speedup:.1f}x, end to end (c)/(b) = {per_case / bridged:.1f}x"
        )
    assert overhead_ms < 5.0
    assert bridged > fixed and speedup >= MIN_SPEEDUP_GUARD
