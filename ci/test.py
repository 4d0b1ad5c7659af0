"""The test command (README): install, build the CI-sized subset, run pytest.

1. install what the tests need (pip, apt) -- `python3 -m w4a16.deps test` -- and this
   package (editable: its pytest plugin is found through its entry point);
2. build the `ci` preset of w4a16SM90SimpleTest on this machine: the compile is itself a
   test of the instantiation generator, the CMake build and the test source;
3. compile the TensorRT-LLM-runner variant of the test source to an object file, to catch
   mistakes against CutlassFpAIntBGemmRunner's API;
4. run `pytest py_tests` (the gtest cases of the CI binary appear as pytest items; the GPU
   ones skip with a reason on machines without an SM90 GPU), writing reports/ci/pytest.xml.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def step(title: str, cmd: list[str], env: dict[str, str]) -> None:
    print(f"\n=== {title}\n$ {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    code = subprocess.run(cmd, cwd=REPO, env=env).returncode
    print(f"=== {title}: exit {code} after {time.monotonic() - start:.0f} s", flush=True)
    if code != 0:
        sys.exit(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-build", action="store_true",
                        help="reuse an existing build/ci (for quick local reruns)")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments passed to pytest")
    args = parser.parse_args()

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "scripts") + os.pathsep + env.get("PYTHONPATH", "")
    # A stable cache outside the clone: fetched sources and ccache hits survive fresh clones.
    env.setdefault("W4A16_CACHE", str(Path.home() / ".cache" / "w4a16"))
    binary = REPO / "build" / "ci" / "w4a16SM90SimpleTest"
    env["W4A16_BINARY"] = str(binary)

    py = sys.executable
    step("install", [py, "-m", "w4a16.deps", "test"], env)
    # The bridge is a pytest plugin found through the package's entry point: install this
    # checkout (editable, so a stale install from another clone is replaced).
    step("install package", [py, "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)],
         env)
    if not args.skip_build:
        step("build (ci preset)", [py, "-m", "w4a16", "build", "--preset", "ci", "--no-run"], env)
    step("runner-variant compile check", [py, "-m", "w4a16", "check-runner"], env)
    step("ruff", [py, "-m", "ruff", "check", "scripts", "py_tests", "ci"], env)
    (REPO / "reports" / "ci").mkdir(parents=True, exist_ok=True)
    step(
        "pytest",
        [py, "-m", "pytest", "py_tests", "-n", "2", "--junitxml=reports/ci/pytest.xml",
         f"--gtest-binary={binary}", *args.pytest_args],
        env,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
