"""Install what a step needs on a fresh machine, and say what was installed.

The Python side is this package with its extras, as `pyproject.toml` declares them:
`pip install -e <repo>` for the build step, `pip install -e <repo>[test]` for the tests. apt
(as root) installs the rest: ccache, g++ and the GoogleTest sources, which PyPI does not
offer, and cmake and ninja, taken from the system so that the CUDA build keeps the toolchain
it is tested with (PyPI's would come first on PATH).

Standard library only, so it runs before the package's own dependencies exist:
`python3 -m w4a16.deps build` or `python3 -m w4a16.deps test`. Without a package index (the
GPU machine) it warns and goes on: the step that needs a missing piece says so in one line.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DIST = "w4a16-sm90"
# The step -> the extra of pyproject.toml it installs (None: the core dependencies only).
EXTRAS: dict[str, str | None] = {"build": None, "test": "test"}
# The CPU build of torch these machines use; GPU machines bring their own torch, so the pin
# is added only where torch is missing (the test extra itself accepts any torch >= 2.1).
TORCH_PIN = "torch==2.13.0"
# Executables -> Debian package.
APT_TOOLS = {"cmake": "cmake", "ninja": "ninja-build", "ccache": "ccache", "g++": "g++"}
GTEST_MARKERS = (Path("/usr/src/googletest/CMakeLists.txt"),
                 Path("/usr/lib/x86_64-linux-gnu/libgtest.a"))
APT_GTEST = ("googletest", "libgtest-dev")


def _run(cmd: list[str]) -> bool:
    print(f"[deps] $ {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd).returncode == 0


def _installed_from_here() -> metadata.Distribution | None:
    """The installed package, if it is an editable install of this checkout: an install from
    another clone would load that clone's plugin and modules."""
    # Every copy on the path: the build leaves an egg-info in scripts/, which comes first
    # on PYTHONPATH and records no origin.
    for dist in metadata.distributions():
        if (dist.metadata["Name"] or "").lower().replace("_", "-") != DIST:
            continue
        try:
            url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
        except json.JSONDecodeError:
            continue
        if url == REPO.as_uri():
            return dist
    return None


def _requirement_name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0]


def _missing(dist: metadata.Distribution, extra: str | None) -> list[str]:
    """Requirements of the core set and of `extra` with no installed distribution. Versions
    are pip's business; this only decides whether pip needs to run at all."""
    missing = []
    for req in dist.requires or []:
        marker = req.partition(";")[2]
        wanted_extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if wanted_extra and wanted_extra.group(1) != extra:
            continue
        try:
            metadata.version(_requirement_name(req))
        except metadata.PackageNotFoundError:
            missing.append(req.partition(";")[0].strip())
    return missing


def _pip_install(extra: str | None) -> None:
    target = f"{REPO}[{extra}]" if extra else str(REPO)
    cmd = [sys.executable, "-m", "pip", "install", "-q", "-e", target]
    if extra == "test" and _absent("torch"):
        cmd.append(TORCH_PIN)
    if _run(cmd):
        return
    # No package index: register this checkout at least (its console script and pytest
    # plugin), with the setuptools already installed and no dependencies fetched.
    print("[deps] warning: pip could not install the dependencies; registering the package "
          "without them", flush=True)
    if not _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                 "--no-build-isolation", "-e", str(REPO)]):
        print("[deps] warning: the package is not installed; run from the repository with "
              "PYTHONPATH=scripts", flush=True)


def _absent(dist_name: str) -> bool:
    try:
        metadata.version(dist_name)
    except metadata.PackageNotFoundError:
        return True
    return False


def _apt_install(packages: list[str]) -> bool:
    if not packages:
        return True
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"[deps] cannot install {' '.join(packages)}: no apt-get or not root", flush=True)
        return False
    env_ok = _run(["apt-get", "update", "-qq"])
    return env_ok and _run(["apt-get", "install", "-y", "-qq", *packages])


def ensure(step: str) -> int:
    """Install the Python side through pip and the rest through apt; never fails the step."""
    extra = EXTRAS[step]
    dist = _installed_from_here()
    missing = None if dist is None else _missing(dist, extra)
    if missing is None or missing:
        why = "not installed from this checkout" if missing is None else ", ".join(missing)
        print(f"[deps] python packages for '{step}': {why}", flush=True)
        _pip_install(extra)
    apt = [pkg for tool, pkg in APT_TOOLS.items() if shutil.which(tool) is None]
    if not all(p.exists() for p in GTEST_MARKERS):
        apt += list(APT_GTEST)
    if apt and not _apt_install(apt):
        # Not fatal here: the build's own locator gives the precise one-line error later.
        print(f"[deps] warning: still missing {' '.join(apt)}", flush=True)
    if missing == [] and not apt:
        print(f"[deps] everything for '{step}' is already installed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m w4a16.deps", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=tuple(EXTRAS),
                        help="build: this package and the compile tools; test: also the "
                        "[test] extra (pytest, xdist, ruff, matplotlib, a CPU torch)")
    return ensure(parser.parse_args(argv).step)


if __name__ == "__main__":
    sys.exit(main())
