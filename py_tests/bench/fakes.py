"""Executable stand-ins for the binaries: a shell wrapper running a fake with this Python."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAKE_BENCH = HERE / "fake_bench_binary.py"
FAKE_CASE = HERE / "fake_case_binary.py"
FAKE_MACHETE = HERE / "fake_machete_binary.py"


def wrapper(directory: Path, name: str, script: Path) -> Path:
    """`directory/name`, an executable that runs `script` with this interpreter."""
    path = Path(directory) / name
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path
