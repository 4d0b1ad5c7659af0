"""CPU tests of the repeat-run comparison and the sanitizer wrapper."""

from __future__ import annotations

from pathlib import Path

import pytest
from w4a16 import reliability
from w4a16.cli import main
from w4a16.errors import UserError
from w4a16.gtest import CaseResult


def _case(name: str, outcome: str, tactic: str, digest: str) -> CaseResult:
    return CaseResult(name=name, outcome=outcome,
                      properties=[("tactic", tactic), ("output_hash", digest),
                                  ("rel_error", "2.8e-04")])


def test_identical_runs_report_every_tactic_bit_identical() -> None:
    run = {f"S.c{i}": _case(f"S.c{i}", "passed", f"t{i % 2}", f"{i:016x}") for i in range(4)}
    report = reliability.compare_runs([run, dict(run), dict(run)])
    assert report.outcomes_identical
    assert report.outcome_changes == {}
    assert set(report.tactics) == {"t0", "t1"}
    assert all(e["identical"] and e["cases"] == 2 for e in report.tactics.values())


def test_a_changed_hash_names_the_tactic_and_case() -> None:
    a = _case("S.a", "passed", "tileA", "1")
    first = {"S.a": a, "S.b": _case("S.b", "passed", "tileB", "2")}
    second = {"S.a": a, "S.b": _case("S.b", "passed", "tileB", "3")}
    report = reliability.compare_runs([first, second])
    assert report.outcomes_identical
    assert report.tactics["tileA"]["identical"] is True
    b = report.tactics["tileB"]
    assert b["identical"] is False and b["changed_cases"] == 1
    assert b["examples"][0]["case"] == "S.b"
    assert b["examples"][0]["hashes"] == ["2", "3"]


def test_a_flipped_outcome_is_reported() -> None:
    first = {"S.a": _case("S.a", "passed", "t", "1")}
    second = {"S.a": _case("S.a", "failed", "t", "1")}
    third: dict = {}
    report = reliability.compare_runs([first, second, third])
    assert not report.outcomes_identical
    assert report.outcome_changes["S.a"] == ["passed", "failed", "missing"]


def test_one_run_is_not_a_comparison() -> None:
    with pytest.raises(UserError):
        reliability.compare_runs([{}])


def test_sanitizer_command_fails_on_errors_and_rejects_unknown_tools() -> None:
    cmd = reliability.sanitizer_command("cs", "racecheck", Path("bin"), ["--gtest_filter=GPU_*"])
    assert cmd[:5] == ["cs", "--tool", "racecheck", "--error-exitcode", "99"]
    assert cmd[-2:] == ["bin", "--gtest_filter=GPU_*"]
    with pytest.raises(UserError, match="unknown compute-sanitizer tool"):
        reliability.sanitizer_command("cs", "leakcheck!", Path("bin"), [])


def test_missing_binary_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["repeat", str(tmp_path / "nope"), "--runs", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "not found" in err[0]


def test_missing_sanitizer_is_a_one_line_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    fake = tmp_path / "bin"
    fake.write_text("")
    code = main(["sanitize", str(fake), "--sanitizer", str(tmp_path / "missing")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "compute-sanitizer not found" in err[0]


def test_sanitizer_summary_line_is_found_for_every_tool() -> None:
    racecheck = ("[  PASSED  ] 66 tests.\n"
                 "========= RACECHECK SUMMARY: 0 hazards displayed (0 errors, 0 warnings)\n")
    memcheck = "========= ERROR SUMMARY: 0 errors\n"
    assert "0 hazards displayed" in reliability.summary_line(racecheck)
    assert reliability.summary_line(memcheck) == "========= ERROR SUMMARY: 0 errors"
    assert reliability.summary_line("crashed\n") == "no summary line"
