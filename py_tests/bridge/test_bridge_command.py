"""`w4a16 run`: the command-line face of the runner."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from junitparser import xunit2
from w4a16.errors import UserError
from w4a16.gtest import command


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="w4a16")
    command.add_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["run", *argv])
    return args.func(args)


def test_run_prints_a_table_writes_xml_and_fails_on_failures(
    gtest_bins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = tmp_path / "report.xml"
    code = run([str(gtest_bins["outcomes"]), "--filter", "Outcomes.*", "--xml", str(xml)])
    out = capsys.readouterr().out
    assert code == 1
    assert "Outcomes.Fails" in out and "answer is off by one" in out
    assert "7 cases: 3 passed, 2 failed, 2 skipped" in out
    assert len(list(xunit2.JUnitXml.fromfile(str(xml)))) == 1


def test_run_exits_zero_when_everything_passes(
    gtest_bins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(gtest_bins["outcomes"]), "--filter", "Sizes/*"]) == 0
    assert "3 cases: 3 passed, 0 failed, 0 skipped" in capsys.readouterr().out


def test_list_prints_cases_with_their_parameters(
    gtest_bins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(gtest_bins["outcomes"]), "--list", "--filter", "Small/*"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Small/Widths.IsEven/0  # 2",
        "Small/Widths.IsEven/1  # 3",
        "Small/Widths.IsEven/2  # 64",
    ]


def test_crash_and_timeout_flags_reach_the_runner(
    gtest_bins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([str(gtest_bins["hangs"]), "--case-timeout", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "timed out after 0.5 s" in out
    assert "3 cases: 2 passed, 1 failed" in out


def test_missing_binary_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="gtest binary not found"):
        run([str(tmp_path / "absent")])


def test_bad_timeout_is_rejected_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["x", "--case-timeout", "soon"])
    assert exit_info.value.code == 2
    assert "--case-timeout: not a number: 'soon'" in capsys.readouterr().err
