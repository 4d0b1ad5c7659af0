"""The pytest plugin, exercised by running pytest inside pytest on real gtest binaries."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from junitparser import Failure, Skipped, xunit2

ALL_OUTCOMES = {"passed": 8, "failed": 3, "skipped": 2}


@pytest.fixture(autouse=True)
def rootdir_here(pytester: pytest.Pytester) -> None:
    """An ini file makes the pytester folder the inner run's rootdir."""
    pytester.makeini("[pytest]\n")


def junit_cases(path: Path) -> dict[str, xunit2.TestCase]:
    report = xunit2.JUnitXml.fromfile(str(path))
    return {case.name: case for suite in report for case in suite}


def properties(case: xunit2.TestCase) -> dict[str, str]:
    return {str(p.name): str(p.value) for p in case.properties()}


def test_gtest_cases_become_pytest_items_with_their_outcomes(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    result = pytester.runpytest_inprocess(f"--gtest-binary={gtest_bins['outcomes']}", "-rfs")
    result.assert_outcomes(**ALL_OUTCOMES)
    result.stdout.fnmatch_lines(
        [
            "*answer is off by one*",
            "*outcomes.cc:12: gtest failed",
            "*recorded properties:*",
            "*tolerance = 0.001*",
            "FAILED outcomes::Outcomes.Fails - Expected equality of these values:*",
            "SKIPPED *outcomes.cc:15: no accelerator here",
            "SKIPPED *outcomes.cc:17: disabled in gtest (DISABLED_ prefix)",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_node_ids_name_binary_and_case(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    result = pytester.runpytest_inprocess(
        f"--gtest-binary={gtest_bins['outcomes']}", "--collect-only", "-q"
    )
    ids = [line for line in result.outlines if "::" in line]
    assert ids[0] == "outcomes::Outcomes.Passes"
    assert "outcomes::Sizes/2.FitsInEightBytes" in ids
    assert "outcomes::Small/Widths.IsEven/1" in ids
    assert len(ids) == 13


def test_keyword_and_marker_selection(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    binary = str(gtest_bins["outcomes"])
    result = pytester.runpytest_inprocess(
        f"--gtest-binary={binary}", "-k", "Widths and not IsEven/1"
    )
    result.assert_outcomes(passed=2, deselected=11)
    result = pytester.runpytest_inprocess(f"--gtest-binary={binary}", "-m", "gpu")
    result.assert_outcomes(passed=1, deselected=12)  # Outcomes.KernelOnGPU
    result = pytester.runpytest_inprocess(f"--gtest-binary={binary}", "-m", "not gtest")
    result.assert_outcomes(deselected=13)
    pytester.makeini("[pytest]\ngtest_gpu_pattern = ^Sizes/\n")
    result = pytester.runpytest_inprocess(f"--gtest-binary={binary}", "-m", "gpu")
    result.assert_outcomes(passed=3, deselected=10)


def test_junitxml_keeps_failure_text_and_recorded_properties(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    xml = pytester.path / "junit.xml"
    pytester.runpytest_inprocess(
        f"--gtest-binary={gtest_bins['outcomes']}", f"--junitxml={xml}"
    ).assert_outcomes(**ALL_OUTCOMES)
    cases = junit_cases(xml)
    recorded = cases["Outcomes.RecordsProperties"]
    assert recorded.classname == "outcomes"
    assert properties(recorded)["tactic"] == "tile128x128"
    failing = cases["Outcomes.FailsWithProperties"]
    assert properties(failing) == {"tolerance": "0.001"}
    failure = [r for r in failing.result if isinstance(r, Failure)][0]
    assert failure.message == "Failed error above tolerance"
    assert "outcomes.cc:28" in (failure.text or "")
    skipped = [r for r in cases["Outcomes.DISABLED_NotReady"].result if isinstance(r, Skipped)]
    assert skipped and "disabled" in (skipped[0].message or "")


def test_merged_report_combines_binaries_and_synthesizes_crashes(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    merged = pytester.path / "out" / "gtest.xml"
    result = pytester.runpytest_inprocess(
        f"--gtest-binary={gtest_bins['outcomes']}",
        f"--gtest-binary={gtest_bins['crashes']}",
        f"--gtest-merged-xml={merged}",
    )
    result.assert_outcomes(passed=11, failed=6, skipped=2)
    result.stdout.fnmatch_lines([f"*gtest report (19 cases): {merged}*"])
    report = xunit2.JUnitXml.fromfile(str(merged))
    suites = {suite.name: {case.name: case for case in suite} for suite in report}
    assert set(suites) >= {"outcomes:Outcomes", "outcomes:Small/Widths", "crashes:Crashes"}
    segv = suites["crashes:Crashes"]["Segfaults"]
    message = [r for r in segv.result if isinstance(r, Failure)][0].message or ""
    assert "SIGSEGV" in message
    assert "about to dereference" in (segv.system_out or "")
    assert properties(suites["crashes:Crashes"]["Last"]) == {"survived": "yes"}
    assert properties(suites["outcomes:Outcomes"]["FailsWithProperties"]) == {"tolerance": "0.001"}
    assert suites["outcomes:Outcomes"]["DISABLED_NotReady"].is_skipped


def test_crashes_and_hangs_fail_one_case_each(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    result = pytester.runpytest_inprocess(
        f"--gtest-binary={gtest_bins['crashes']}",
        f"--gtest-binary={gtest_bins['hangs']}",
        "--gtest-case-timeout=1",
    )
    result.assert_outcomes(passed=5, failed=4)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED crashes::Crashes.Segfaults - crashed with SIGSEGV (signal 11) in*",
            "FAILED crashes::Crashes.Aborts - crashed with SIGABRT (signal 6) in*",
            "FAILED crashes::Crashes.ExitsEarly - exited prematurely with status 0*",
            "FAILED hangs::Hangs.Forever - timed out after 1 s in Hangs.Forever",
        ]
    )


def test_batches_run_one_process_each(
    pytester: pytest.Pytester,
    gtest_bins: dict[str, Path],
    counting_wrapper: Callable[..., object],
) -> None:
    wrapper = counting_wrapper(gtest_bins["outcomes"])
    binary = str(wrapper.path)
    pytester.runpytest_inprocess(f"--gtest-binary={binary}").assert_outcomes(**ALL_OUTCOMES)
    assert len(wrapper.launches()) == 1
    wrapper.log.unlink()
    result = pytester.runpytest_inprocess(f"--gtest-binary={binary}", "--gtest-batch-size=5")
    result.assert_outcomes(**ALL_OUTCOMES)
    assert len(wrapper.launches()) == 3  # 13 cases, 5 per process
    wrapper.log.unlink()
    pytester.runpytest_inprocess(f"--gtest-binary={binary}", "-k", "Passes or IsEven/2")
    [launch] = wrapper.launches()
    assert "--gtest_filter=Outcomes.Passes:Small/Widths.IsEven/2 " in launch


def _copy_binary(pytester: pytest.Pytester, binary: Path) -> Path:
    folder = pytester.path / "bins"
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy2(binary, folder / binary.name))


def test_ini_binaries_join_directory_runs_only(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    _copy_binary(pytester, gtest_bins["outcomes"])
    pytester.makeini("[pytest]\ngtest_binaries = bins/outcomes\n")
    pytester.makepyfile(test_python="def test_python():\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=9, failed=3, skipped=2)
    result = pytester.runpytest_inprocess("test_python.py")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("bins/outcomes::Small/Widths.IsEven/0")
    result.assert_outcomes(passed=1)


def test_default_binary_is_used_when_nothing_is_named(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("W4A16_BINARY", str(gtest_bins["outcomes"]))
    pytester.makepyfile(test_python="def test_python():\n    pass\n")
    pytester.runpytest_inprocess().assert_outcomes(passed=9, failed=3, skipped=2)


def test_missing_default_binary_warns_once_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = pytester.path / "build" / "w4a16SM90SimpleTest"
    monkeypatch.setenv("W4A16_BINARY", str(absent))
    pytester.makepyfile(test_python="def test_python():\n    pass\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines([f"*GTestBridgeWarning: no gtest binary at {absent}:*"])
    result = pytester.runpytest_inprocess("test_python.py")
    result.assert_outcomes(passed=1)


def test_missing_named_binary_is_a_collection_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--gtest-binary=nowhere/test_binary")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*ERROR collecting*", f"gtest binary not found: {pytester.path}/nowhere/test_binary"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--gtest-case-timeout=0"], "", "--gtest-case-timeout: must be positive, got 0.0"),
        ([], "gtest_batch_size = many", "ini option gtest_batch_size: not a number: 'many'"),
        ([], "gtest_gpu_pattern = (", "ini option gtest_gpu_pattern: bad regex:*"),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert "Traceback" not in result.stderr.str()


def test_xdist_workers_run_whole_batches_once(
    pytester: pytest.Pytester,
    gtest_bins: dict[str, Path],
    counting_wrapper: Callable[..., object],
) -> None:
    wrapper = counting_wrapper(gtest_bins["outcomes"])
    merged = pytester.path / "merged.xml"
    result = pytester.runpytest_subprocess(
        "-n",
        "2",
        f"--gtest-binary={wrapper.path}",
        "--gtest-batch-size=4",
        f"--gtest-merged-xml={merged}",
    )
    result.assert_outcomes(**ALL_OUTCOMES)
    runs = wrapper.launches()
    assert len(runs) == 4  # ceil(13 / 4): no batch was split between workers
    assert len(wrapper.launches(listing=True)) == 6  # plus one listing per worker
    report = xunit2.JUnitXml.fromfile(str(merged))
    assert sum(len(suite) for suite in report) == 13
    cases = junit_cases(merged)
    assert properties(cases["RecordsProperties"])["tactic"] == "tile128x128"


def test_each_xdist_worker_gets_its_own_gpu(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    copies = [gtest_bins["outcomes"], _copy_binary(pytester, gtest_bins["outcomes"])]
    copies[1] = copies[1].rename(copies[1].with_name("outcomes_copy"))
    args = [f"--gtest-binary={copy}" for copy in copies]
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "-n", "2", *args, "-k", "RecordsProperties", f"--junitxml={xml}"
    )
    result.assert_outcomes(passed=2)
    seen = {properties(case)["cuda_visible_devices"] for case in junit_cases(xml).values()}
    assert seen and seen <= {"5", "7"}
    # Without xdist the environment is passed through untouched.
    pytester.runpytest_inprocess(*args, "-k", "RecordsProperties", f"--junitxml={xml}")
    seen = {properties(case)["cuda_visible_devices"] for case in junit_cases(xml).values()}
    assert seen == {"5,7"}


def test_lean_and_full_protocol_report_the_same(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    binary = f"--gtest-binary={gtest_bins['outcomes']}"
    lean = pytester.runpytest_inprocess(binary, f"--junitxml={tmp_path / 'lean.xml'}")
    full = pytester.runpytest_inprocess(binary, "--gtest-full-protocol",
                                        f"--junitxml={tmp_path / 'full.xml'}")
    lean.assert_outcomes(**ALL_OUTCOMES)
    full.assert_outcomes(**ALL_OUTCOMES)
    a, b = junit_cases(tmp_path / "lean.xml"), junit_cases(tmp_path / "full.xml")
    assert a.keys() == b.keys()
    for name in a:
        assert [type(r).__name__ for r in a[name].result] == [
            type(r).__name__ for r in b[name].result], name
        assert properties(a[name]) == properties(b[name]), name


def test_marked_gtest_items_keep_pytest_s_full_protocol(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    # An xfail mark is only honoured by pytest's own protocol (the skipping plugin): a
    # failing case marked xfail must come out xfailed, a passing one marked skip skipped.
    pytester.makeconftest(
        """
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if item.name.startswith("Outcomes.Fails"):
            item.add_marker(pytest.mark.xfail(reason="known"))
        if item.name == "Outcomes.Passes":
            item.add_marker(pytest.mark.skip(reason="not today"))
"""
    )
    result = pytester.runpytest_inprocess(f"--gtest-binary={gtest_bins['outcomes']}", "-rxs")
    result.assert_outcomes(passed=ALL_OUTCOMES["passed"] - 1, failed=1, xfailed=2,
                           skipped=ALL_OUTCOMES["skipped"] + 1)


def test_x_stops_after_the_first_gtest_failure(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    result = pytester.runpytest_inprocess(f"--gtest-binary={gtest_bins['outcomes']}", "-x")
    assert result.parseoutcomes().get("failed") == 1
