"""Which GPUs a sweep may use, and how one job is pinned to one of them.

`--gpus 0,1` names GPUs as this process sees them (torch's device index). A bench-binary
job runs with CUDA_VISIBLE_DEVICES set to that one GPU, translated through this process's
own CUDA_VISIBLE_DEVICES when it is set, so `CUDA_VISIBLE_DEVICES=2,3 w4a16 bench --gpus 1`
runs on physical GPU 3, as torch would.
"""

from __future__ import annotations

import os

from w4a16 import gpu
from w4a16.errors import UserError

ENV = "CUDA_VISIBLE_DEVICES"


def _visible() -> list[str] | None:
    """This process's CUDA_VISIBLE_DEVICES entries; None when unset."""
    text = os.environ.get(ENV)
    if text is None:
        return None
    return [s.strip() for s in text.split(",") if s.strip()]


def count() -> int:
    """How many GPUs this process can use (0 when nvidia-smi finds none)."""
    visible = _visible()
    return len(visible) if visible is not None else len(gpu.gpus())


def parse(text: str) -> tuple[int, ...]:
    """`"0,1"` -> (0, 1); `"all"` -> every visible GPU; a one-line UserError otherwise."""
    if text.strip() == "all":
        n = count()
        if n == 0:
            raise UserError("--gpus all: no GPU visible (nvidia-smi found none)")
        return tuple(range(n))
    try:
        indices = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise UserError(f"--gpus expects comma-separated GPU indices or all, "
                        f"got {text!r}") from None
    if not indices or any(i < 0 for i in indices):
        raise UserError(f"--gpus expects non-negative GPU indices, got {text!r}")
    if len(set(indices)) != len(indices):
        raise UserError(f"--gpus names a GPU twice: {text!r}")
    n = count()
    if n and max(indices) >= n:
        raise UserError(f"--gpus {text}: only {n} GPU(s) visible (indices 0 to {n - 1})")
    return indices


def job_env(index: int) -> dict[str, str]:
    """The environment that pins a child process to GPU `index` of this process."""
    visible = _visible()
    if visible is not None and index < len(visible):
        return {ENV: visible[index]}
    return {ENV: str(index)}
