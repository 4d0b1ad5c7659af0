"""Is there an SM90 GPU here? Asked of nvidia-smi, so no CUDA library is needed."""

from __future__ import annotations

import shutil
import subprocess


def gpus() -> list[tuple[str, str]]:
    """(name, compute capability) of each visible GPU; empty without a driver."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        proc = subprocess.run(
            [smi, "--query-gpu=name,compute_cap", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if proc.returncode != 0:
        return []
    out = []
    for line in proc.stdout.strip().splitlines():
        name, _, cap = line.rpartition(",")
        out.append((name.strip(), cap.strip()))
    return out


def sm90_reason() -> str:
    """'' when GPU 0 is SM90, else why the GPU steps are skipped."""
    found = gpus()
    if not found:
        return "no NVIDIA GPU visible (nvidia-smi absent or found none)"
    name, cap = found[0]
    if cap != "9.0":
        return f"GPU 0 is {name} (compute capability {cap}); the kernels need SM90 (9.0)"
    return ""
