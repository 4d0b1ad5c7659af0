"""Install what a step needs on a fresh machine, and say what was installed.

Standard library only, so it runs before the package's own dependencies exist:
`python3 -m w4a16.deps build` or `python3 -m w4a16.deps test`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Python modules -> pip requirement.
PY_BUILD = {"junitparser": "junitparser>=3.1", "numpy": "numpy>=1.24"}
PY_TEST = {
    **PY_BUILD,
    "pytest": "pytest>=7.4",
    "xdist": "pytest-xdist>=3.3",
    "ruff": "ruff>=0.4",
    "matplotlib": "matplotlib>=3.7",
    # The CPU build pinned for these machines; GPU machines bring their own torch.
    "torch": "torch==2.13.0",
}
# Executables -> Debian package.
APT_TOOLS = {"cmake": "cmake", "ninja": "ninja-build", "ccache": "ccache", "g++": "g++"}
GTEST_MARKERS = (Path("/usr/src/googletest/CMakeLists.txt"),
                 Path("/usr/lib/x86_64-linux-gnu/libgtest.a"))
APT_GTEST = ("googletest", "libgtest-dev")


def _run(cmd: list[str]) -> bool:
    print(f"[deps] $ {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd).returncode == 0


def _apt_install(packages: list[str]) -> bool:
    if not packages:
        return True
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"[deps] cannot install {' '.join(packages)}: no apt-get or not root", flush=True)
        return False
    env_ok = _run(["apt-get", "update", "-qq"])
    return env_ok and _run(["apt-get", "install", "-y", "-qq", *packages])


def ensure(step: str) -> int:
    wanted = PY_TEST if step == "test" else PY_BUILD
    missing_py = [req for mod, req in wanted.items() if importlib.util.find_spec(mod) is None]
    if missing_py and not _run([sys.executable, "-m", "pip", "install", "-q", *missing_py]):
        # Not fatal: a machine without a package index (the GPU machine) can still build;
        # the step that needs a missing module says so in one line.
        print(f"[deps] warning: pip could not install {' '.join(missing_py)}", flush=True)
    apt = [pkg for tool, pkg in APT_TOOLS.items() if shutil.which(tool) is None]
    if not all(p.exists() for p in GTEST_MARKERS):
        apt += list(APT_GTEST)
    if apt and not _apt_install(apt):
        # Not fatal here: the build's own locator gives the precise one-line error later.
        print(f"[deps] warning: still missing {' '.join(apt)}", flush=True)
    if not missing_py and not apt:
        print(f"[deps] everything for '{step}' is already installed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m w4a16.deps", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("build", "test"),
                        help="build: compile tools and runtime modules; test: also pytest, "
                        "xdist, ruff and a CPU torch")
    return ensure(parser.parse_args(argv).step)


if __name__ == "__main__":
    sys.exit(main())
