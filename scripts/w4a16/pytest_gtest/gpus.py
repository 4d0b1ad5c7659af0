"""Which GPU a parallel test worker should use, without importing CUDA libraries.

Each pytest-xdist worker `gwN` gets one device, `N mod count`, so that workers
do not pile onto GPU 0; without GPUs nothing is changed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from w4a16.gpu import gpus as query_gpus

_WORKER = re.compile(r"^gw(\d+)$")


def visible_gpus(env: Mapping[str, str] | None = None) -> list[str]:
    """Device ids a process may use: CUDA_VISIBLE_DEVICES if set, else what nvidia-smi lists."""
    env = os.environ if env is None else env
    declared = env.get("CUDA_VISIBLE_DEVICES")
    if declared is not None:
        ids = [part.strip() for part in declared.split(",") if part.strip()]
        # CUDA stops at the first invalid entry; "-1" is the usual way to hide all GPUs.
        valid: list[str] = []
        for part in ids:
            if part.startswith("-"):
                break
            valid.append(part)
        return valid
    return [str(index) for index in range(len(query_gpus()))]


def gpu_for_worker(worker_id: str | None, gpus: list[str]) -> str | None:
    """The device for xdist worker `gwN` (N mod len(gpus)); None outside xdist or without GPUs."""
    if not worker_id or not gpus:
        return None
    match = _WORKER.match(worker_id)
    if match is None:
        return None
    return gpus[int(match.group(1)) % len(gpus)]
