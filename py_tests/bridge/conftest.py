"""Real gtest binaries for the bridge's tests, compiled once per session.

The C++ sources live in fixtures/; they are built with g++ against Debian's
static GoogleTest libraries (package libgtest-dev), two compilers at a time.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = ("outcomes", "crashes", "hangs", "noisy", "many", "devices")


def _static_library(name: str) -> Path | None:
    """Where g++ finds `name` (e.g. libgtest.a), or None when it does not."""
    found = subprocess.run(
        ["g++", f"-print-file-name={name}"], capture_output=True, text=True, check=False
    ).stdout.strip()
    path = Path(found)
    return path if path.is_absolute() and path.is_file() else None


def _compile(source: Path, output: Path, libraries: list[Path]) -> str | None:
    """Compile one fixture; the compiler's complaint on failure, else None."""
    command = ["g++", "-std=c++17", "-O1", "-pthread", str(source), "-o", str(output)]
    proc = subprocess.run(
        [*command, *map(str, libraries)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return f"{source.name}: {proc.stderr.strip()[-2000:]}"
    return None


@pytest.fixture(scope="session")
def gtest_bins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Fixture name -> compiled gtest binary (skips when no compiler or GoogleTest)."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found; the gtest fixtures cannot be built")
    libraries = [_static_library("libgtest_main.a"), _static_library("libgtest.a")]
    if None in libraries:
        pytest.skip("libgtest.a / libgtest_main.a not found; install libgtest-dev")
    folder = tmp_path_factory.mktemp("gtest-fixtures")
    outputs = {name: folder / name for name in NAMES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = pool.map(
            lambda name: _compile(FIXTURES / f"{name}.cc", outputs[name], libraries), NAMES
        )
        problems = [error for error in errors if error]
    if problems:
        pytest.fail("could not build gtest fixtures:\n" + "\n".join(problems))
    return outputs


@dataclass
class CountingWrapper:
    """A script that logs each launch of a gtest binary, then execs it.

    Every gtest process started through it adds one line to `log`, which is how
    the tests count processes, even across xdist workers.
    """

    path: Path
    log: Path

    def launches(self, *, listing: bool = False) -> list[str]:
        """Logged command lines, without the `--gtest_list_tests` runs unless asked."""
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [line for line in lines if listing or "--gtest_list_tests" not in line]


@pytest.fixture
def counting_wrapper(tmp_path: Path) -> Callable[..., CountingWrapper]:
    """Function (binary, name=None) -> CountingWrapper placed in a fresh folder."""

    def make(binary: Path, name: str | None = None) -> CountingWrapper:
        folder = tmp_path / "wrappers"
        folder.mkdir(exist_ok=True)
        wrapper = folder / (name or binary.name)
        log = folder / f"{wrapper.name}.launches"
        wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{binary}" "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        return CountingWrapper(wrapper, log)

    return make
