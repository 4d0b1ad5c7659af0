"""Shared test plumbing: finding the binaries (skip, or fail on CI), the fake tool, seeds, and
the verdict on one tactic's output against the torch reference."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from w4a16.casefiles import CaseFileResult, CaseSpec
from w4a16.paths import TOOL_TARGET, default_binary, tool_binary_for
from w4a16.reference import CheckResult, Reference, check_output

FAKE_BINARY = Path(__file__).resolve().parent / "fake_binary.py"


def on_ci() -> bool:
    return os.environ.get("CI") == "true"


def binary_or_skip() -> Path:
    """The real test binary; skip when it is missing, except on CI where it is always built."""
    path = default_binary()
    if path.is_file():
        return path
    reason = f"test binary {path} not built (build it, or point W4A16_BINARY at it)"
    if on_ci():
        pytest.fail(f"{reason}; CI=true, where the binary must exist")
    pytest.skip(reason)


def tool_or_skip() -> Path:
    """The real tool built beside the test binary; skip when it is missing, except on CI
    where it is always built."""
    path = tool_binary_for(default_binary())
    if path.is_file():
        return path
    reason = (f"tool binary {path} not built (`w4a16 build` builds it beside the test "
              "binary; point W4A16_BINARY at that test binary)")
    if on_ci():
        pytest.fail(f"{reason}; CI=true, where the tool must exist")
    pytest.skip(reason)


def sm90_skip_reason() -> str | None:
    """None on an SM90 GPU that torch can use; otherwise why GPU tests are skipped."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU visible to torch (these tests need an SM90 GPU)"
    cap = torch.cuda.get_device_capability()
    if cap != (9, 0):
        name = torch.cuda.get_device_name()
        return f"GPU is {name} (sm_{cap[0]}{cap[1]}); these tests need SM90 (sm_90)"
    return None


def make_fake_binary(directory: Path) -> Path:
    """An executable named like the tool (w4a16SM90Tool) that runs fake_binary.py with this
    interpreter."""
    path = Path(directory) / TOOL_TARGET
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_BINARY}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def seed_for(name: str) -> int:
    """A seed that differs between tests but is stable for a given test id."""
    return zlib.crc32(name.encode())


def binary_preprocess(binary: Path, q: np.ndarray, workdir: Path) -> np.ndarray:
    """Run `<tool> --w4a16_preprocess=IN,OUT,K,N` on int8 weights [K, N]; return the bytes.
    `binary` is the tool, or a binary beside it (the tool that runs is `tool_binary_for`)."""
    binary = tool_binary_for(binary)
    assert binary.is_file(), f"tool binary not found: {binary}"
    k, n = q.shape
    src, dst = Path(workdir) / f"q_{k}x{n}.bin", Path(workdir) / f"packed_{k}x{n}.bin"
    np.ascontiguousarray(q, dtype=np.int8).tofile(src)
    dst.unlink(missing_ok=True)
    proc = subprocess.run(
        [str(binary), f"--w4a16_preprocess={src},{dst},{k},{n}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{binary} exited {proc.returncode}: {proc.stderr.strip()}"
    assert dst.is_file(), f"{binary} did not write {dst}"
    return np.fromfile(dst, dtype=np.uint8)


def judge_tactic(result: CaseFileResult, spec: CaseSpec, tactic: str,
                 reference: Callable[[str], Reference]) -> tuple[str, str, CheckResult | None]:
    """('pass' | 'skip' | 'fail', why, the check if the tactic produced an output). `reference`
    gives the reference with the tactic's error model; it is asked only when there is an output."""
    entry = result.get(tactic)
    assert entry is not None, f"the tool reported no {tactic} entry for {spec.label}"
    if entry.status == "not_compiled":
        return "skip", f"{tactic}: {entry.message or 'not compiled into this binary'}", None
    if entry.status == "error":
        return "fail", f"{tactic} failed to run: {entry.message}", None
    check = check_output(result.output(entry, spec.m, spec.n), reference(tactic))
    return ("pass" if check.passed else "fail"), f"{tactic}: {check.summary()}", check
