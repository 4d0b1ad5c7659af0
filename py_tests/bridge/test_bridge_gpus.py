"""GPU assignment for xdist workers."""

from __future__ import annotations

import pytest
from w4a16 import gpu
from w4a16.pytest_gtest.gpus import gpu_for_worker, visible_gpus


def test_visible_gpus_follow_cuda_visible_devices() -> None:
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "3, 5,7"}) == ["3", "5", "7"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "GPU-1a2b,GPU-3c4d"}) == ["GPU-1a2b", "GPU-3c4d"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0,-1,2"}) == ["0"]


def test_visible_gpus_ask_nvidia_smi_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    class Done:
        returncode = 0
        stdout = "NVIDIA H100 80GB HBM3, 9.0\nNVIDIA H100 80GB HBM3, 9.0\n"

    monkeypatch.setattr(gpu.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(gpu.subprocess, "run", lambda *a, **k: Done())
    assert visible_gpus({}) == ["0", "1"]

    def missing(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("nvidia-smi")

    monkeypatch.setattr(gpu.subprocess, "run", missing)
    assert visible_gpus({}) == []


def test_workers_take_gpus_round_robin() -> None:
    devices = ["4", "6"]
    assert [gpu_for_worker(f"gw{n}", devices) for n in range(5)] == ["4", "6", "4", "6", "4"]
    assert gpu_for_worker(None, devices) is None
    assert gpu_for_worker("master", devices) is None
    assert gpu_for_worker("gw3", []) is None
