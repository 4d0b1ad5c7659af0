"""Case discovery: parsing `--gtest_list_tests` and running it on real binaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from w4a16.errors import UserError
from w4a16.gtest.listing import list_cases, parse_listing

LISTING = """\
Running main() from ./googletest/src/gtest_main.cc
Plain.
  First
  DISABLED_Second
Sizes/0.  # TypeParam = unsigned char
  Fits
Sizes/1.  # TypeParam = std::pair<int, int>
  Fits
Batch/Widths.
  IsEven/0  # GetParam() = 2
  IsEven/1  # GetParam() = (1, "a  b")
stray line printed by a library.
  NotACase
"""


def test_parse_listing_handles_plain_typed_and_parameterized_cases() -> None:
    cases = parse_listing(LISTING)
    assert [c.name for c in cases] == [
        "Plain.First",
        "Plain.DISABLED_Second",
        "Sizes/0.Fits",
        "Sizes/1.Fits",
        "Batch/Widths.IsEven/0",
        "Batch/Widths.IsEven/1",
    ]
    by_name = {c.name: c for c in cases}
    assert by_name["Sizes/1.Fits"].type_param == "std::pair<int, int>"
    assert by_name["Batch/Widths.IsEven/1"].value_param == '(1, "a  b")'
    assert by_name["Plain.First"].type_param is None
    assert by_name["Plain.First"].value_param is None
    assert by_name["Plain.DISABLED_Second"].disabled
    assert not by_name["Plain.First"].disabled


def test_parse_listing_of_nothing_is_empty() -> None:
    assert parse_listing("") == []
    assert parse_listing("Running main() from gtest_main.cc\n") == []


def test_list_cases_reads_names_params_and_source_lines(gtest_bins: dict[str, Path]) -> None:
    cases = {c.name: c for c in list_cases(gtest_bins["outcomes"])}
    assert "Outcomes.Passes" in cases
    assert cases["Small/Widths.IsEven/1"].value_param == "3"
    assert cases["Sizes/2.FitsInEightBytes"].type_param == "double"
    assert cases["Outcomes.DISABLED_NotReady"].disabled
    source = Path(cases["Outcomes.Fails"].file or "")
    assert source.name == "outcomes.cc"
    line = source.read_text().splitlines()[cases["Outcomes.Fails"].line - 1]
    assert line.startswith("TEST(Outcomes, Fails)")
    assert len(cases) == 13


def test_list_cases_applies_the_gtest_filter(gtest_bins: dict[str, Path]) -> None:
    names = [c.name for c in list_cases(gtest_bins["outcomes"], gtest_filter="Sizes/*:*.Skips")]
    assert names == [
        "Outcomes.Skips",
        "Sizes/0.FitsInEightBytes",
        "Sizes/1.FitsInEightBytes",
        "Sizes/2.FitsInEightBytes",
    ]


def test_missing_binary_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="gtest binary not found"):
        list_cases(tmp_path / "absent")


def test_binary_that_fails_to_list_is_a_user_error() -> None:
    with pytest.raises(UserError, match="exited with status 1"):
        list_cases("/bin/false")


def test_program_that_is_not_gtest_is_a_user_error() -> None:
    with pytest.raises(UserError, match="does not look like a gtest binary"):
        list_cases("/bin/echo")


def test_listing_that_hangs_times_out(tmp_path: Path) -> None:
    script = tmp_path / "sleeper"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(0o755)
    with pytest.raises(UserError, match="did not finish in 0.5 s"):
        list_cases(script, timeout=0.5)
