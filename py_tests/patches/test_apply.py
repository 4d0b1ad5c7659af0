"""`w4a16 patch apply/check/revert/status` against throwaway git trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from patch_helpers import (
    MAIN_TEST,
    TEST_DIR,
    add_files_from_hunk_context,
    cmakelists_text,
    commit_all,
    git,
    make_tree,
    write,
)
from w4a16.errors import UserError
from w4a16.patches import gitapply, series, upstream

CMAKELISTS = upstream.KERNELS_CMAKELISTS


def _args(tree: Path, patch_dir: Path) -> list[str]:
    return ["--trtllm-dir", str(tree), "--patches-dir", str(patch_dir)]


def _error(err: str) -> str:
    """The one error line, after the pin warning every fake tree earns."""
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("warning: "), err
    assert lines[1].startswith("error: ")
    return lines[1]


def _porcelain(tree: Path) -> str:
    return git(tree, "status", "--porcelain", "--untracked-files=all")


def test_apply_adds_sources_and_registration(run_cli, tree, patch_dir, cpp_tests) -> None:
    code, out, _ = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and f"applied: {series.TEST_PATCH}" in out
    for name in (MAIN_TEST, "w4a16_helper.h", "w4a16_inner.h"):
        assert (tree / TEST_DIR / name).read_bytes() == (cpp_tests / name).read_bytes()
    assert not (tree / TEST_DIR / "w4a16_unused.h").exists()
    lines = (tree / CMAKELISTS).read_text().splitlines()
    i = lines.index(upstream.ANCHOR)
    assert tuple(lines[i + 1 : i + 1 + len(series.REGISTRATION)]) == series.REGISTRATION
    # Working tree only: nothing staged.
    assert all(not line.startswith(("A ", "M ")) for line in _porcelain(tree).splitlines())


def test_apply_twice_is_a_success_and_says_so(run_cli, tree, patch_dir) -> None:
    assert run_cli("patch", "apply", *_args(tree, patch_dir))[0] == 0
    before = (tree / CMAKELISTS).read_text()
    code, out, _ = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and "already applied" in out
    assert (tree / CMAKELISTS).read_text() == before


def test_check_changes_nothing(run_cli, tree, patch_dir) -> None:
    code, out, _ = run_cli("patch", "check", *_args(tree, patch_dir))
    assert code == 0 and "applies cleanly" in out
    assert _porcelain(tree) == ""
    run_cli("patch", "apply", *_args(tree, patch_dir))
    code, out, _ = run_cli("patch", "check", *_args(tree, patch_dir))
    assert code == 0 and "already applied" in out


def test_revert_restores_the_tree(run_cli, tree, patch_dir) -> None:
    run_cli("patch", "apply", *_args(tree, patch_dir))
    assert _porcelain(tree) != ""
    code, out, _ = run_cli("patch", "revert", *_args(tree, patch_dir))
    assert code == 0 and f"reverted: {series.TEST_PATCH}" in out
    assert _porcelain(tree) == ""
    code, out, _ = run_cli("patch", "revert", *_args(tree, patch_dir))
    assert code == 0 and "nothing to revert" in out


def test_status_before_and_after(run_cli, tree, patch_dir) -> None:
    code, out, _ = run_cli("patch", "status", *_args(tree, patch_dir))
    assert code == 0 and f"{series.TEST_PATCH}: not applied, applies cleanly" in out
    assert git(tree, "rev-parse", "HEAD").strip() in out
    run_cli("patch", "apply", *_args(tree, patch_dir))
    code, out, _ = run_cli("patch", "status", *_args(tree, patch_dir))
    assert code == 0 and f"{series.TEST_PATCH}: applied" in out


def test_dirty_touched_file_is_refused(run_cli, tree, patch_dir) -> None:
    path = tree / CMAKELISTS
    path.write_text(path.read_text() + "# a local edit far from our hunk\n")
    code, out, err = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 2 and out == ""
    assert _error(err) == (
        f"error: local changes in {CMAKELISTS} (in {tree.resolve()}); commit, stash or "
        "discard them first, or pass --allow-dirty"
    )
    assert run_cli("patch", "check", *_args(tree, patch_dir))[0] == 2
    code, out, _ = run_cli("patch", "status", *_args(tree, patch_dir))
    assert code == 0 and f"local changes in {CMAKELISTS}" in out
    code, out, _ = run_cli("patch", "apply", "--allow-dirty", *_args(tree, patch_dir))
    assert code == 0 and "applied" in out
    assert path.read_text().endswith("# a local edit far from our hunk\n")


def test_untracked_copy_of_our_test_is_refused(run_cli, tree, patch_dir) -> None:
    write(tree / TEST_DIR / MAIN_TEST, "// someone's own copy\n")
    code, _, err = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 2 and f"local changes in {TEST_DIR}/{MAIN_TEST}" in err


def test_conflict_names_file_and_hunk(run_cli, tmp_path, patch_dir) -> None:
    ex = upstream.load_excerpt()
    text = cmakelists_text().replace(ex.after[0], ex.after[0] + "  # changed upstream")
    tree = make_tree(tmp_path / "moved", text)
    code, out, err = run_cli("patch", "apply", *_args(tree, patch_dir))
    (patch,) = series.read_series(patch_dir)
    header = patch.hunks[0].header
    assert code == 2 and out == ""
    err = _error(err)
    assert f"{series.TEST_PATCH} does not apply" in err
    assert f"{CMAKELISTS} hunk #1 ({header}) does not match" in err
    assert _porcelain(tree) == ""
    code, out, _ = run_cli("patch", "status", *_args(tree, patch_dir))
    assert code == 0 and "does not apply, and is not cleanly applied" in out and "hunk #1" in out


def test_committed_file_in_the_way_is_a_conflict(run_cli, tree, patch_dir) -> None:
    write(tree / TEST_DIR / MAIN_TEST, "// an older version of the test\n")
    commit_all(tree, "older test")
    code, _, err = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 2 and f"{TEST_DIR}/{MAIN_TEST}: already exists" in err


def test_revert_of_an_edited_test_names_the_file(run_cli, tree, patch_dir) -> None:
    run_cli("patch", "apply", *_args(tree, patch_dir))
    path = tree / TEST_DIR / "w4a16_helper.h"
    path.write_text(path.read_text() + "// edited after applying\n")
    code, _, err = run_cli("patch", "revert", *_args(tree, patch_dir))
    assert code == 2 and "cannot be reverted" in err and f"{TEST_DIR}/w4a16_helper.h" in err


def test_context_at_another_line_still_applies(run_cli, tmp_path, patch_dir) -> None:
    """A different license header length moves the anchor; git apply finds it anyway."""
    tree = make_tree(tmp_path / "offset", cmakelists_text(extra_head=4))
    code, out, _ = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and "applied" in out


def test_not_a_tensorrt_llm_tree(run_cli, tmp_path, patch_dir) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli("patch", "apply", *_args(empty, patch_dir))
    assert code == 2 and "is not a TensorRT-LLM source tree" in err
    assert "git submodule update --init" in err

    other = tmp_path / "other"
    write(other / "README", "some other project\n")
    code, _, err = run_cli("patch", "status", *_args(other, patch_dir))
    assert code == 2 and "missing cpp/tensorrt_llm, " + CMAKELISTS in err

    code, _, err = run_cli("patch", "check", *_args(tmp_path / "nowhere", patch_dir))
    assert code == 2 and "is not a directory" in err


def test_tree_that_is_not_the_top_of_a_git_checkout(run_cli, tmp_path, patch_dir) -> None:
    plain = tmp_path / "plain"
    write(plain / "cpp/tensorrt_llm/x.txt", "x\n")
    write(plain / CMAKELISTS, cmakelists_text())
    code, _, err = run_cli("patch", "apply", *_args(plain, patch_dir))
    assert code == 2 and "not the top of a git checkout" in err

    outer = make_tree(tmp_path / "outer")
    inner = outer / "vendored"
    write(inner / "cpp/tensorrt_llm/x.txt", "x\n")
    write(inner / CMAKELISTS, cmakelists_text())
    code, _, err = run_cli("patch", "apply", *_args(inner, patch_dir))
    assert code == 2 and "not the top of a git checkout" in err


def test_other_commit_than_the_pin_warns_with_both_shas(run_cli, tree, patch_dir) -> None:
    head = git(tree, "rev-parse", "HEAD").strip()
    code, out, err = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and "applied" in out
    assert err.startswith("warning: ") and head in err and upstream.PINNED_COMMIT in err
    assert gitapply.pin_mismatch(tree.resolve(), pin=head) is None


def test_missing_series_is_a_user_error(tree, tmp_path) -> None:
    with pytest.raises(UserError, match="run `w4a16 patch refresh`"):
        series.read_series(tmp_path / "no-patches")


def test_committed_series_applies_to_a_tree_built_from_the_excerpt(run_cli, tree) -> None:
    from w4a16 import paths

    if not (paths.PATCHES / series.SERIES_FILE).is_file():
        pytest.skip("no committed series yet")
    add_files_from_hunk_context(tree, *sorted(series.KERNEL_PATCHES.glob("*.patch")))
    code, out, _ = run_cli("patch", "apply", "--trtllm-dir", str(tree))
    assert code == 0 and "applied" in out


def test_two_patch_series_applies_in_order_and_resumes(run_cli, tmp_path, patch_dir) -> None:
    """A later patch may edit what an earlier one added; a half-applied series is finished."""
    scratch = make_tree(tmp_path / "scratch")
    (first,) = series.read_series(patch_dir)
    git(scratch, "apply", str(first.path))
    commit_all(scratch, "first patch")
    helper = scratch / TEST_DIR / "w4a16_helper.h"
    helper.write_text(helper.read_text() + "// added by a second patch\n")
    second = patch_dir / "0002-second.patch"
    second.write_text(git(scratch, "diff"))
    (patch_dir / series.SERIES_FILE).write_text(
        f"{series.TEST_PATCH}\n# a comment\n{second.name}\n"
    )

    tree = make_tree(tmp_path / "two")
    git(tree, "apply", str(first.path))  # the first patch only, by hand
    code, out, _ = run_cli("patch", "status", *_args(tree, patch_dir))
    assert f"{series.TEST_PATCH}: applied" in out and f"{second.name}: not applied" in out
    code, out, _ = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and out.strip() == f"applied: {second.name}"
    assert (tree / TEST_DIR / "w4a16_helper.h").read_text().endswith("second patch\n")
    code, out, _ = run_cli("patch", "revert", *_args(tree, patch_dir))
    assert code == 0 and out.strip() == f"reverted: {second.name}, {series.TEST_PATCH}"
    assert _porcelain(tree) == ""
    code, out, _ = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and out.strip() == f"applied: {series.TEST_PATCH}, {second.name}"
