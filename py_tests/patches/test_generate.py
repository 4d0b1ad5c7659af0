"""Generating the series from cpp_tests/, and the excerpt it takes its context from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from patch_helpers import MAIN_TEST, TEST_DIR, write
from w4a16 import paths
from w4a16.errors import UserError
from w4a16.patches import series, sources, upstream


def test_sources_follow_quoted_includes_that_exist(cpp_tests: Path) -> None:
    assert sources.shipped_sources(cpp_tests) == [MAIN_TEST, "w4a16_helper.h", "w4a16_inner.h"]


def test_missing_main_test_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=MAIN_TEST):
        sources.shipped_sources(tmp_path)


def test_patch_adds_files_and_registration_after_anchor(cpp_tests: Path) -> None:
    text = series.generate(cpp_tests)[series.TEST_PATCH]
    ex = upstream.load_excerpt()
    n = len(ex.before) + 1 + len(ex.after)
    added = len(series.REGISTRATION)
    assert f"@@ -{ex.first_line},{n} +{ex.first_line},{n + added} @@\n" in text
    assert f" {upstream.ANCHOR}\n" + "".join(f"+{x}\n" for x in series.REGISTRATION) in text
    for name in (MAIN_TEST, "w4a16_helper.h", "w4a16_inner.h"):
        assert f"diff --git a/{TEST_DIR}/{name} b/{TEST_DIR}/{name}\nnew file mode" in text
    assert "w4a16_unused.h" not in text
    assert "+// inner\n\\ No newline at end of file\n" in text
    assert series.REGISTRATION[0] == f"add_gtest({paths.TARGET} weightOnly/{MAIN_TEST})"


def test_series_file_lists_the_generated_patch(cpp_tests: Path) -> None:
    files = series.generate(cpp_tests, kernel_dir=None)
    assert files[series.SERIES_FILE] == f"{series.TEST_PATCH}\n"
    kernel = sorted(p.name for p in series.KERNEL_PATCHES.glob("*.patch"))
    with_kernel = series.generate(cpp_tests)[series.SERIES_FILE].splitlines()
    assert with_kernel == [series.TEST_PATCH] + [f"kernel/{name}" for name in kernel]


def test_parse_patch_finds_files_and_hunks(patch_dir: Path) -> None:
    (patch,) = series.read_series(patch_dir)
    assert patch.files[0] == upstream.KERNELS_CMAKELISTS
    first = upstream.load_excerpt().first_line
    hunk = patch.hunk_at(upstream.KERNELS_CMAKELISTS, first)
    assert hunk is not None and hunk.number == 1 and hunk.header.startswith(f"@@ -{first},")


def test_refresh_writes_then_reports_up_to_date(run_cli, cpp_tests: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run_cli("patch", "refresh", "--cpp-tests", str(cpp_tests), "--out", str(out))
    assert code == 0 and series.TEST_PATCH in stdout
    code, stdout, _ = run_cli("patch", "refresh", "--cpp-tests", str(cpp_tests), "--out", str(out))
    assert code == 0 and "already up to date" in stdout
    assert (
        run_cli("patch", "refresh", "--check", "--cpp-tests", str(cpp_tests), "--out", str(out))[0]
        == 0
    )

    write(cpp_tests / "w4a16_helper.h", "#pragma once\n// changed\n")
    code, _, err = run_cli(
        "patch", "refresh", "--check", "--cpp-tests", str(cpp_tests), "--out", str(out)
    )
    assert code == 1 and series.TEST_PATCH in err


def test_committed_patches_match_cpp_tests(tmp_path: Path) -> None:
    """Drift check: regenerating from cpp_tests/ must reproduce patches/ byte for byte."""
    if not (paths.CPP_TESTS / MAIN_TEST).is_file() and not (paths.PATCHES / "series").exists():
        pytest.skip(f"cpp_tests/{MAIN_TEST} not written yet, and no series committed")
    series.write(series.generate(), tmp_path)
    for name in sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()):
        committed = paths.PATCHES / name
        assert committed.is_file(), f"patches/{name} missing; run `w4a16 patch refresh`"
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), (
            f"patches/{name} is out of date with cpp_tests/; run `w4a16 patch refresh`"
        )
    strays = {p.name for p in paths.PATCHES.glob("*.patch")} - {p.name for p in tmp_path.iterdir()}
    assert not strays, f"patches/ holds patches no generator writes: {sorted(strays)}"


def _excerpt(head: str, body: str) -> str:
    return head + "---\n" + body


GOOD_HEAD = (
    "# comment\n"
    f"path: {upstream.KERNELS_CMAKELISTS}\n"
    f"commit: {upstream.PINNED_COMMIT}\n"
    "anchor-line: 10\n"
)


def test_excerpt_parses_lines_around_the_anchor() -> None:
    ex = upstream.parse_excerpt(_excerpt(GOOD_HEAD, f"# a cmake comment\n{upstream.ANCHOR}\n\n"))
    assert ex.before == ("# a cmake comment",) and ex.after == ("",)
    assert ex.first_line == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD_HEAD + f"{upstream.ANCHOR}\n", "no '---' line"),
        (_excerpt("path: x\n", f"{upstream.ANCHOR}\n"), "lacks commit, anchor-line"),
        (_excerpt(GOOD_HEAD + "colour: red\n", f"{upstream.ANCHOR}\n"), "unexpected header"),
        (_excerpt(GOOD_HEAD, "no anchor here\n"), "exactly once"),
        (_excerpt(GOOD_HEAD, f"{upstream.ANCHOR}\n{upstream.ANCHOR}\n"), "exactly once"),
        (_excerpt(GOOD_HEAD, f"{upstream.ANCHOR}"), "end with a newline"),
        (_excerpt(GOOD_HEAD.replace("10", "x"), f"{upstream.ANCHOR}\n"), "not a line number"),
        (_excerpt(GOOD_HEAD.replace("10", "1"), f"a\n{upstream.ANCHOR}\nb\n"), "no room"),
        (_excerpt(GOOD_HEAD, f"a\n{upstream.ANCHOR}\n"), "at least one line must follow"),
    ],
)
def test_bad_excerpt_is_a_user_error(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        upstream.parse_excerpt(text)


def test_excerpt_from_another_commit_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "excerpt.txt"
    other.write_text(
        _excerpt(GOOD_HEAD.replace(upstream.PINNED_COMMIT, "a" * 40), f"{upstream.ANCHOR}\nx\n")
    )
    with pytest.raises(UserError, match="re-copy them"):
        upstream.load_excerpt(other)


def test_committed_excerpt_is_valid() -> None:
    """The hunk's context is the anchor and the one line after it: the lines above the anchor
    drift between TensorRT-LLM versions (see test_upstream.py)."""
    ex = upstream.load_excerpt()
    assert ex.path == upstream.KERNELS_CMAKELISTS
    assert ex.before == () and len(ex.after) == 1


def test_generated_hunk_carries_one_context_line_each_side(cpp_tests: Path) -> None:
    text = series.generate(cpp_tests, kernel_dir=None)[series.TEST_PATCH]
    ex = upstream.load_excerpt()
    hunk = text[text.index("@@ ") : text.index("diff --git", text.index("@@ "))]
    assert hunk.splitlines() == [
        f"@@ -{ex.anchor_line},2 +{ex.anchor_line},3 @@",
        f" {upstream.ANCHOR}",
        *(f"+{line}" for line in series.REGISTRATION),
        f" {ex.after[0]}",
    ]


def test_the_real_test_source_ships_its_runner_header_and_no_main() -> None:
    """The test source is tests only: add_gtest links GoogleTest's main, so a main of its own
    would clash; the case runner it shares with the tool travels with it, the tool does not."""
    shipped = sources.shipped_sources(paths.CPP_TESTS)
    assert "w4a16_case_runner.h" in shipped
    assert "w4a16_sm90_tool.cu" not in shipped
    for rel in shipped:
        text = (paths.CPP_TESTS / rel).read_text(encoding="utf-8")
        assert not re.search(r"\bint\s+main\s*\(", text), f"{rel} defines main"
