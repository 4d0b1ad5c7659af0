"""How much the bridge costs: 300 trivial cases, three ways.

(a) the binary alone, one process; (b) pytest collecting and running the 300
items through the bridge, in-process, nothing subtracted; (c) one process per
case with its own XML report read back, which is what pytest-cpp does.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml
from w4a16.gtest.listing import list_cases

CASES = 300
# Plugins unrelated to the bridge that may be installed; they are not what is measured.
UNRELATED = ("no:cacheprovider", "no:hypothesispytest", "no:benchmark", "no:randomly")


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

    def one_process_per_case() -> None:
        xml = tmp_path / "one.xml"
        for name in names:
            subprocess.run(
                [binary, f"--gtest_filter={name}", f"--gtest_output=xml:{xml}"],
                capture_output=True,
                check=True,
            )
            assert sum(len(suite) for suite in JUnitXml.fromfile(str(xml))) == 1

    per_case = best_of(1, one_process_per_case)

    overhead_ms = (bridged - alone) / CASES * 1000
    with capsys.disabled():
        print(
            f"\n[bridge speed, {CASES} trivial cases] (a) binary alone {alone * 1000:.1f} ms;"
            f" (b) bridge {bridged * 1000:.0f} ms, {overhead_ms:.2f} ms/case over (a);"
            f" (c) one process per case {per_case * 1000:.0f} ms;"
            f" (c)/(b) = {per_case / bridged:.1f}x"
        )
    assert overhead_ms < 5.0
    # pytest alone spends about 1 ms per item here, so a fixed 10x over (c) is out of reach
    # for any pytest plugin on fast-starting binaries; the bridge must still beat (c).
    assert bridged < per_case
