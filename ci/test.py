"""The test command (README): install, build the CI-sized subset, run pytest.

1. install what the tests need (pip, apt) -- `python3 -m w4a16.deps test` -- and this
   package (editable: its pytest plugin is found through its entry point);
2. build the `ci` preset of w4a16SM90SimpleTest on this machine from the kernel slice (slim),
   and, where a TensorRT-LLM tree with the runner is found (`w4a16 sources`), the same
   selection as a full-tree build: the runner, TensorRT-LLM's preprocessor and the GEMV for
   fp16/group 128. The compiles are themselves tests of the generators, the CMake build and
   the test source; the full-tree binary's host tests cross-check TensorRT-LLM's weight
   preprocessing against ours;
3. compile the TensorRT-LLM-runner variant of the test source to an object file, to catch
   mistakes against CutlassFpAIntBGemmRunner's API;
4. check that `w4a16.gtest` imports no pytest (the plugin lives in `w4a16.pytest_gtest`);
5. run `pytest py_tests` (the gtest cases of the CI binaries appear as pytest items; the GPU
   ones skip with a reason on machines without an SM90 GPU), writing reports/ci/pytest.xml.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The gtest runner is a plain library; only w4a16.pytest_gtest may bring pytest in.
GTEST_WITHOUT_PYTEST = "import sys, w4a16.gtest; assert 'pytest' not in sys.modules"


def step(title: str, cmd: list[str], env: dict[str, str]) -> None:
    print(f"\n=== {title}\n$ {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    code = subprocess.run(cmd, cwd=REPO, env=env).returncode
    print(f"=== {title}: exit {code} after {time.monotonic() - start:.0f} s", flush=True)
    if code != 0:
        sys.exit(code)


def full_tree_found(py: str, env: dict[str, str]) -> bool:
    """Does `w4a16 sources` find a tree that gives the full-tree build?"""
    proc = subprocess.run([py, "-m", "w4a16", "sources", "--json", "--offline"], cwd=REPO,
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return False
    return bool(json.loads(proc.stdout)["kernels"].get("gemv_launcher"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-build", action="store_true",
                        help="reuse existing build/ci and build/ci-full (quick local reruns)")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments passed to pytest")
    args = parser.parse_args()

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "scripts") + os.pathsep + env.get("PYTHONPATH", "")
    # A stable cache outside the clone: fetched sources and ccache hits survive fresh clones.
    env.setdefault("W4A16_CACHE", str(Path.home() / ".cache" / "w4a16"))
    binary = REPO / "build" / "ci" / "w4a16SM90SimpleTest"
    env["W4A16_BINARY"] = str(binary)

    py = sys.executable
    # `pip install -e REPO[test]`, plus apt for the compile tools. The bridge is a pytest
    # plugin found through the package's entry point, so this checkout is installed editable
    # (an install from another clone is replaced).
    step("install", [py, "-m", "w4a16.deps", "test"], env)
    full_binary = REPO / "build" / "ci-full" / "w4a16SM90SimpleTest"
    if not args.skip_build:
        step("build (ci preset, slim)",
             [py, "-m", "w4a16", "build", "--preset", "ci", "--no-run", "--slice"], env)
        tree = full_tree_found(py, env)
        if tree:
            step("build (ci preset, full tree)",
                 [py, "-m", "w4a16", "build", "--preset", "ci", "--no-run"], env)
        else:
            print("\n=== build (ci preset, full tree): skipped, no TensorRT-LLM tree with the "
                  "runner, the preprocessor and the GEMV here (w4a16 sources)", flush=True)
    binaries = [binary] + ([full_binary] if full_binary.is_file() else [])
    if full_binary.is_file():
        env["W4A16_FULL_BINARY"] = str(full_binary)
    step("runner-variant compile check", [py, "-m", "w4a16", "check-runner", "--slice"], env)
    step("ruff", [py, "-m", "ruff", "check", "scripts", "py_tests", "ci"], env)
    step("w4a16.gtest imports no pytest", [py, "-c", GTEST_WITHOUT_PYTEST], env)
    (REPO / "reports" / "ci").mkdir(parents=True, exist_ok=True)
    step(
        "pytest",
        [py, "-m", "pytest", "py_tests", "-n", "2", "--junitxml=reports/ci/pytest.xml",
         *(f"--gtest-binary={b}" for b in binaries), *args.pytest_args],
        env,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
