"""Build our test inside an existing TensorRT-LLM CMake build.

For users who already build TensorRT-LLM: patch the tree, let CMake see the new add_gtest,
and build just our target, reusing everything their build has compiled.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path

from w4a16 import paths
from w4a16.errors import UserError
from w4a16.patches import gitapply, series

# Where TensorRT-LLM's build puts the kernel unit tests, relative to the build dir.
EXPECTED_BINARY = Path("tests/unit_tests/kernels") / paths.TARGET
_UNKNOWN_TARGET = ("unknown target", "No rule to make target", "does not exist in project")


def read_cache(build_dir: Path) -> dict[str, str]:
    """NAME -> value from CMakeCache.txt (types dropped)."""
    cache = build_dir / "CMakeCache.txt"
    if not cache.is_file():
        raise UserError(
            f"{build_dir} is not a configured CMake build (no CMakeCache.txt); configure "
            "TensorRT-LLM's C++ build there first, with -DBUILD_TESTS=ON"
        )
    values = {}
    for line in cache.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line or line.startswith(("#", "//")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.split(":", 1)[0]] = value
    return values


def check_build_dir(trtllm_dir: Path, build_dir: Path) -> dict[str, str]:
    """Refuse build folders that are not a TensorRT-LLM build, or one without tests."""
    cache = read_cache(build_dir)
    home = cache.get("CMAKE_HOME_DIRECTORY")
    cpp = (trtllm_dir / "cpp").resolve()
    if not home or not Path(home).resolve().is_relative_to(cpp):
        raise UserError(
            f"{build_dir} was configured from {home or 'an unknown source'}, not from "
            f"TensorRT-LLM at {cpp}"
        )
    if cache.get("BUILD_TESTS", "ON").upper() in ("OFF", "0", "FALSE", "NO", "N"):
        raise UserError(
            f"{build_dir} was configured with BUILD_TESTS=OFF; reconfigure with "
            "-DBUILD_TESTS=ON so the kernel unit tests (and our target) exist"
        )
    return cache


def _run_streaming(cmd: list[str]) -> tuple[int, str]:
    """Run cmd, echoing its output, and return (exit code, last lines of output)."""
    tail: collections.deque[str] = collections.deque(maxlen=50)
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as proc:
        for line in proc.stdout or ():
            sys.stdout.write(line)
            tail.append(line)
    return proc.returncode, "".join(tail)


def find_binary(build_dir: Path) -> Path | None:
    expected = build_dir / EXPECTED_BINARY
    if expected.is_file():
        return expected
    return next((p for p in sorted(build_dir.rglob(paths.TARGET)) if p.is_file()), None)


def build_in_tree(
    trtllm_dir: Path, build_dir: Path, jobs: int | None, patch_dir: Path = paths.PATCHES
) -> Path:
    """Patch trtllm_dir, reconfigure build_dir, build our target; return the test binary."""
    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}")
    cmake = shutil.which("cmake")
    if cmake is None:
        raise UserError("cmake not found on PATH")
    tree = gitapply.check_tree(trtllm_dir)
    check_build_dir(tree, build_dir)
    warning = gitapply.pin_mismatch(tree)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print(gitapply.apply(tree, series.read_series(patch_dir)))

    code, tail = _run_streaming([cmake, str(build_dir)])
    if code != 0:
        raise UserError(f"re-running cmake in {build_dir} failed (exit {code}); see above")
    cmd = [cmake, "--build", str(build_dir), "--target", paths.TARGET]
    if jobs is not None:
        cmd += ["--parallel", str(jobs)]
    code, tail = _run_streaming(cmd)
    if code != 0:
        if paths.TARGET in tail and any(s in tail for s in _UNKNOWN_TARGET):
            raise UserError(
                f"{build_dir} has no target {paths.TARGET}: TensorRT-LLM was configured "
                "without tests; reconfigure with -DBUILD_TESTS=ON"
            )
        raise UserError(f"building {paths.TARGET} in {build_dir} failed (exit {code}); see above")
    binary = find_binary(build_dir)
    if binary is None:
        raise UserError(f"the build succeeded but no {paths.TARGET} was found under {build_dir}")
    return binary
