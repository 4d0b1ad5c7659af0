"""build_in_tree: its refusals, and its cmake calls (against a stand-in cmake on PATH)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from patch_helpers import MAIN_TEST, TEST_DIR
from w4a16 import paths
from w4a16.errors import UserError
from w4a16.patches import intree

# A stand-in for cmake: logs its arguments; `--build` acts as $FAKE_CMAKE_MODE says.
FAKE_CMAKE = """#!/bin/sh
echo "$*" >> "$FAKE_CMAKE_LOG"
if [ "$1" = "--build" ]; then
  case "$FAKE_CMAKE_MODE" in
    unknown) echo "ninja: error: unknown target '$4'"; exit 1 ;;
    broken) echo "made-up compile error"; exit 1 ;;
    *) mkdir -p "$2/tests/unit_tests/kernels" && : > "$2/tests/unit_tests/kernels/$4" ;;
  esac
fi
exit 0
"""


def configure(build: Path, home: Path, extra: str = "") -> Path:
    build.mkdir(parents=True, exist_ok=True)
    (build / "CMakeCache.txt").write_text(
        "# made-up cache\n"
        "//Source directory\n"
        f"CMAKE_HOME_DIRECTORY:INTERNAL={home}\n"
        "CMAKE_GENERATOR:INTERNAL=Ninja\n" + extra
    )
    return build


@pytest.fixture
def fake_cmake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "cmake"
    script.write_text(FAKE_CMAKE)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "cmake.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CMAKE_LOG", str(log))
    return log


def test_unconfigured_build_dir(tree: Path, tmp_path: Path, patch_dir: Path) -> None:
    with pytest.raises(UserError, match="not a configured CMake build"):
        intree.build_in_tree(tree, tmp_path / "empty-build", None, patch_dir)


def test_build_dir_of_another_project(tree: Path, tmp_path: Path, patch_dir: Path) -> None:
    build = configure(tmp_path / "build", tmp_path / "elsewhere" / "cpp")
    with pytest.raises(UserError, match=r"configured from .*elsewhere/cpp, not from TensorRT-LLM"):
        intree.build_in_tree(tree, build, None, patch_dir)


def test_build_without_tests(tree: Path, tmp_path: Path, patch_dir: Path) -> None:
    build = configure(tmp_path / "build", tree / "cpp", "BUILD_TESTS:BOOL=OFF\n")
    with pytest.raises(UserError, match="BUILD_TESTS=OFF"):
        intree.build_in_tree(tree, build, None, patch_dir)


def test_bad_jobs(tree: Path, tmp_path: Path, patch_dir: Path) -> None:
    with pytest.raises(UserError, match="at least 1"):
        intree.build_in_tree(tree, tmp_path, 0, patch_dir)


def test_unknown_target_means_no_tests(
    tree: Path, tmp_path: Path, patch_dir: Path, fake_cmake: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FAKE_CMAKE_MODE", "unknown")
    build = configure(tmp_path / "build", tree / "cpp")
    with pytest.raises(UserError, match="configured without tests"):
        intree.build_in_tree(tree, build, None, patch_dir)


def test_failed_build_says_so(
    tree: Path, tmp_path: Path, patch_dir: Path, fake_cmake: Path, monkeypatch
) -> None:
    monkeypatch.setenv("FAKE_CMAKE_MODE", "broken")
    build = configure(tmp_path / "build", tree / "cpp")
    with pytest.raises(UserError, match=f"building {paths.TARGET} .* failed"):
        intree.build_in_tree(tree, build, None, patch_dir)


def test_patches_reconfigures_builds_and_finds_binary(
    tree: Path, tmp_path: Path, patch_dir: Path, fake_cmake: Path
) -> None:
    build = configure(tmp_path / "build", tree / "cpp")
    binary = intree.build_in_tree(tree, build, 3, patch_dir)
    assert binary == build / "tests/unit_tests/kernels" / paths.TARGET
    assert (tree / TEST_DIR / MAIN_TEST).is_file()
    assert fake_cmake.read_text().splitlines() == [
        str(build),
        f"--build {build} --target {paths.TARGET} --parallel 3",
    ]
    # Again: the patches are already in, which is fine.
    assert intree.build_in_tree(tree, build, None, patch_dir) == binary


def test_cli_reports_unconfigured_build_as_one_line(run_cli, tree, tmp_path, patch_dir) -> None:
    code, out, err = run_cli(
        "patch",
        "in-tree-build",
        "--trtllm-dir",
        str(tree),
        "--patches-dir",
        str(patch_dir),
        "--build-dir",
        str(tmp_path / "nothing-here"),
    )
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "not a configured CMake build" in err
    assert err.count("\n") == 1
