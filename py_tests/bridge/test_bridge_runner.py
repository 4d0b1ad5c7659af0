"""The batch runner on real gtest binaries: outcomes, crashes, hangs, big output."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from junitparser import Failure, Skipped, xunit2
from w4a16.errors import UserError
from w4a16.gtest import runner
from w4a16.gtest.listing import list_cases
from w4a16.gtest.results import FAILED, PASSED, SKIPPED
from w4a16.gtest.runner import run_all, run_cases


def all_names(binary: Path) -> list[str]:
    return [case.name for case in list_cases(binary)]


def test_every_outcome_is_mapped(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    binary = gtest_bins["outcomes"]
    results = run_cases(binary, all_names(binary), xml_dir=tmp_path)
    outcomes = {name: result.outcome for name, result in results.items()}
    assert outcomes == {
        "Outcomes.Passes": PASSED,
        "Outcomes.Fails": FAILED,
        "Outcomes.Skips": SKIPPED,
        "Outcomes.DISABLED_NotReady": SKIPPED,
        "Outcomes.RecordsProperties": PASSED,
        "Outcomes.FailsWithProperties": FAILED,
        "Outcomes.KernelOnGPU": PASSED,
        "Sizes/0.FitsInEightBytes": PASSED,
        "Sizes/1.FitsInEightBytes": PASSED,
        "Sizes/2.FitsInEightBytes": PASSED,
        "Small/Widths.IsEven/0": PASSED,
        "Small/Widths.IsEven/1": FAILED,
        "Small/Widths.IsEven/2": PASSED,
    }
    fails = results["Outcomes.Fails"]
    assert "answer is off by one" in fails.message
    assert Path(fails.file or "").name == "outcomes.cc" and fails.line == 12
    assert results["Outcomes.Skips"].message == "no accelerator here"
    assert "disabled" in results["Outcomes.DISABLED_NotReady"].message
    assert results["Outcomes.RecordsProperties"].properties[:2] == [
        ("tactic", "tile128x128"),
        ("max_abs_error", "0.015625"),
    ]
    assert results["Outcomes.FailsWithProperties"].properties == [("tolerance", "0.001")]
    assert "width 3" in results["Small/Widths.IsEven/1"].details


def test_runs_only_the_named_cases_in_one_process(
    gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    results = run_cases(
        gtest_bins["outcomes"], ["Outcomes.Passes", "Sizes/1.FitsInEightBytes"], xml_dir=tmp_path
    )
    assert list(results) == ["Outcomes.Passes", "Sizes/1.FitsInEightBytes"]
    assert len(list(tmp_path.glob("*.xml"))) == 1


def test_crashes_cost_one_case_each(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    binary = gtest_bins["crashes"]
    results = run_cases(binary, all_names(binary), xml_dir=tmp_path)
    segv = results["Crashes.Segfaults"]
    assert segv.outcome == FAILED and segv.kind == "crash"
    assert "SIGSEGV" in segv.message and "Crashes.Segfaults" in segv.message
    assert "about to dereference a null pointer" in segv.details
    abort = results["Crashes.Aborts"]
    assert abort.outcome == FAILED and "SIGABRT" in abort.message
    assert "calling abort" in abort.details
    early = results["Crashes.ExitsEarly"]
    assert early.outcome == FAILED and "exited prematurely with status 0" in early.message
    for name in ("Crashes.First", "Crashes.Middle", "Crashes.Last"):
        assert results[name].outcome == PASSED, results[name]
    # The last case ran in a process that ended normally, so its XML was read.
    assert results["Crashes.Last"].properties == [("survived", "yes")]
    assert len(list(tmp_path.glob("*.xml"))) == 1  # only the fourth process wrote one


def test_crash_under_a_shell_wrapper_is_still_named(
    gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    wrapper = tmp_path / "wrapped"
    wrapper.write_text(f'#!/bin/sh\n"{gtest_bins["crashes"]}" "$@"\n')  # no exec: sh reports
    wrapper.chmod(0o755)
    names = ["Crashes.First", "Crashes.Segfaults", "Crashes.Last"]
    results = run_cases(wrapper, names, xml_dir=tmp_path)
    segv = results["Crashes.Segfaults"]
    assert segv.outcome == FAILED
    assert "exited prematurely with status 139 (128+SIGSEGV?)" in segv.message
    assert results["Crashes.First"].outcome == results["Crashes.Last"].outcome == PASSED


def test_crash_before_any_case_fails_them_all_once(
    gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    env = {**os.environ, "FIXTURE_CRASH_AT_START": "1"}
    names = ["Crashes.First", "Crashes.Last"]
    results = run_cases(gtest_bins["crashes"], names, xml_dir=tmp_path, env=env)
    for name in names:
        assert results[name].outcome == FAILED
        assert "SIGABRT" in results[name].message
        assert "before any case started" in results[name].message


def test_hanging_case_is_killed_and_the_rest_continue(
    gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    binary = gtest_bins["hangs"]
    start = time.monotonic()
    results = run_cases(binary, all_names(binary), xml_dir=tmp_path, case_timeout=1.0)
    elapsed = time.monotonic() - start
    hang = results["Hangs.Forever"]
    assert hang.outcome == FAILED and hang.kind == "timeout"
    assert "timed out after 1 s" in hang.message
    assert results["Hangs.Quick"].outcome == PASSED
    assert results["Hangs.AfterTheHang"].outcome == PASSED
    assert 1.0 <= elapsed < 10.0


def test_batch_timeout_fails_the_running_and_the_unstarted(
    gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    binary = gtest_bins["hangs"]
    results = run_cases(
        binary, all_names(binary), xml_dir=tmp_path, case_timeout=60.0, batch_timeout=1.0
    )
    assert results["Hangs.Quick"].outcome == PASSED
    assert "batch timed out after 1 s" in results["Hangs.Forever"].message
    after = results["Hangs.AfterTheHang"]
    assert after.outcome == FAILED and after.kind == "not-run"
    assert "before it started" in after.message


def test_five_megabytes_of_output_pass_through(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    binary = gtest_bins["noisy"]
    results = run_cases(binary, all_names(binary), xml_dir=tmp_path, case_timeout=60.0)
    noisy = results["Noisy.PrintsFiveMegabytes"]
    assert noisy.outcome == FAILED
    assert "failed after printing" in noisy.message
    assert "49999 " in noisy.output  # the tail of the output is kept ...
    assert len(noisy.output) <= 64 * 1024  # ... but not all 5 MB
    assert results["Noisy.Quiet"].outcome == PASSED


def test_unknown_case_fails_as_not_run(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    results = run_cases(
        gtest_bins["outcomes"], ["Outcomes.Passes", "Outcomes.NoSuchCase"], xml_dir=tmp_path
    )
    assert results["Outcomes.Passes"].outcome == PASSED
    missing = results["Outcomes.NoSuchCase"]
    assert missing.outcome == FAILED and "did not report this case" in missing.message


def test_long_filters_are_split_over_processes(
    gtest_bins: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "FILTER_LIMIT", 60)
    binary = gtest_bins["outcomes"]
    names = all_names(binary)
    results = run_cases(binary, names, xml_dir=tmp_path)
    assert len(list(tmp_path.glob("*.xml"))) > 3
    assert results["Outcomes.Fails"].outcome == FAILED
    assert sum(r.outcome == PASSED for r in results.values()) == 8


def test_bad_arguments_are_user_errors(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        run_cases(tmp_path / "absent", ["A.B"], xml_dir=tmp_path)
    with pytest.raises(UserError, match="positive"):
        run_cases(gtest_bins["outcomes"], ["A.B"], xml_dir=tmp_path, case_timeout=0)


def test_run_all_writes_a_merged_report(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    xml = tmp_path / "reports" / "crashes.xml"
    summary = run_all(gtest_bins["crashes"], xml, gtest_filter="Crashes.*-*Exits*")
    assert (summary.passed, summary.failed, summary.skipped) == (3, 2, 0)
    assert not summary.ok
    report = xunit2.JUnitXml.fromfile(str(xml))
    cases = {case.name: case for suite in report for case in suite}
    assert set(cases) == {"First", "Segfaults", "Middle", "Aborts", "Last"}
    segv = [r for r in cases["Segfaults"].result if isinstance(r, Failure)]
    assert segv and "SIGSEGV" in (segv[0].message or "")
    assert "about to dereference" in (cases["Segfaults"].system_out or "")
    assert [(p.name, p.value) for p in cases["Last"].properties()] == [("survived", "yes")]
    assert cases["First"].is_passed


def test_run_all_reports_skips(gtest_bins: dict[str, Path], tmp_path: Path) -> None:
    xml = tmp_path / "outcomes.xml"
    summary = run_all(gtest_bins["outcomes"], xml, gtest_filter="Outcomes.*")
    assert (summary.passed, summary.failed, summary.skipped) == (3, 2, 2)
    report = xunit2.JUnitXml.fromfile(str(xml))
    skipped = {
        case.name: result.message
        for suite in report
        for case in suite
        for result in case.result
        if isinstance(result, Skipped)
    }
    assert skipped == {
        "Skips": "no accelerator here",
        "DISABLED_NotReady": "disabled in gtest (DISABLED_ prefix)",
    }
