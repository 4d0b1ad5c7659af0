"""Following gtest's console output: which case runs, how finished ones ended."""

from __future__ import annotations

from w4a16.gtest.results import FAILED, PASSED, SKIPPED
from w4a16.gtest.stream import OUTPUT_LIMIT, ProgressTracker

RUN = b"""\
[----------] 3 tests from Suite
[ RUN      ] Suite.Passes
hello from the test
[       OK ] Suite.Passes (12 ms)
[ RUN      ] Suite.Fails
/src/suite.cc:40: Failure
Expected equality of these values:
  1
  2
/src/suite.cc:41: Failure
Failed
second problem
[  FAILED  ] Suite.Fails (3 ms)
[ RUN      ] Suite.Skips
/src/suite.cc:50: Skipped
not today
[  SKIPPED ] Suite.Skips (0 ms)
[ DISABLED ] Suite.DISABLED_Later
[----------] 3 tests from Suite (15 ms total)

[----------] 1 test from Widths/P, where TypeParam = int
[ RUN      ] Widths/P.Case/1
[  FAILED  ] Widths/P.Case/1, where GetParam() = 3 (1 ms)
[ RUN      ] Widths/P.Case/2
partial line"""


def feed_in_pieces(tracker: ProgressTracker, data: bytes, size: int) -> None:
    for start in range(0, len(data), size):
        tracker.feed(data[start : start + size])


def test_tracker_follows_cases_whatever_the_chunking() -> None:
    for size in (1, 7, 4096):
        tracker = ProgressTracker()
        feed_in_pieces(tracker, RUN, size)
        assert tracker.started == [
            "Suite.Passes",
            "Suite.Fails",
            "Suite.Skips",
            "Widths/P.Case/1",
            "Widths/P.Case/2",
        ]
        assert tracker.current is not None and tracker.current.name == "Widths/P.Case/2"
        assert tracker.current_suite == "Widths/P"
        assert tracker.disabled == {"Suite.DISABLED_Later"}
        finished = tracker.finished
        assert finished["Suite.Passes"].outcome == PASSED
        assert finished["Suite.Passes"].duration == 0.012
        assert finished["Suite.Passes"].output == "hello from the test\n"
        assert finished["Suite.Fails"].outcome == FAILED
        assert finished["Widths/P.Case/1"].outcome == FAILED
        assert finished["Suite.Skips"].outcome == SKIPPED
        tracker.close()
        assert tracker.current_output() == "partial line"


def test_failure_text_and_location_come_from_the_output() -> None:
    tracker = ProgressTracker()
    tracker.feed(RUN)
    failed = tracker.finished["Suite.Fails"]
    assert (failed.file, failed.line) == ("/src/suite.cc", 40)
    assert failed.message == "Expected equality of these values:\n  1\n  2"
    assert "/src/suite.cc:41\nFailed\nsecond problem" in failed.details
    skipped = tracker.finished["Suite.Skips"]
    assert skipped.message == "not today"
    assert (skipped.file, skipped.line) == ("/src/suite.cc", 50)


def test_marker_after_output_without_newline_still_ends_the_case() -> None:
    tracker = ProgressTracker()
    tracker.feed(b"[ RUN      ] A.B\nno newline here[       OK ] A.B (0 ms)\n")
    assert tracker.current is None
    assert tracker.finished["A.B"].outcome == PASSED
    assert tracker.finished["A.B"].output == "no newline here"


def test_summary_lines_after_the_run_do_not_change_results() -> None:
    tracker = ProgressTracker()
    tracker.feed(RUN.replace(b"partial line", b"[       OK ] Widths/P.Case/2 (0 ms)\n"))
    tracker.feed(b"[  PASSED  ] 2 tests.\n[  FAILED  ] 2 tests, listed below:\n")
    tracker.feed(b"[  FAILED  ] Suite.Passes\n[  SKIPPED ] Suite.Passes\n")
    assert tracker.finished["Suite.Passes"].outcome == PASSED
    assert tracker.current is None


def test_output_kept_per_case_is_bounded() -> None:
    tracker = ProgressTracker()
    tracker.feed(b"[ RUN      ] Big.Case\n")
    line = b"x" * 99 + b"\n"
    for _ in range(2000):  # 200 KB
        tracker.feed(line)
    tracker.feed(b"the end\n")
    assert tracker.current is not None
    kept = tracker.current.output
    assert len(kept) <= OUTPUT_LIMIT
    assert kept.endswith(b"the end\n")
    tracker.feed(b"y" * (3 * OUTPUT_LIMIT))  # one giant line without a newline
    assert len(tracker.current.output) <= OUTPUT_LIMIT
