"""Fixtures shared by the sweep tests: the fake bench binary and a fake torch (no GPU)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from w4a16.bench import torch_baselines
from w4a16.bench.problem import Baseline, Problem
from w4a16.bench.timing import Sampling, Timing

from . import synthetic
from .fakes import FAKE_BENCH, wrapper


@pytest.fixture
def fake_binary(tmp_path: Path) -> Path:
    return wrapper(tmp_path, "w4a16SM90Bench", FAKE_BENCH)


class Calls(list):
    """(baseline, M) per baseline timed; `devices` holds the torch device each ran on."""

    devices: list[int | None]


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> Calls:
    calls = Calls()
    calls.devices = []
    current = threading.local()  # torch's current device is per thread

    @contextlib.contextmanager
    def device(index: int) -> Iterator[None]:
        before = getattr(current, "index", None)
        current.index = index
        try:
            yield
        finally:
            current.index = before

    torch = SimpleNamespace(__version__="fake", cuda=SimpleNamespace(
        get_device_name=lambda i: "Fake H100", empty_cache=lambda: None, device=device))
    monkeypatch.setattr(torch_baselines, "load_torch", lambda: torch)
    monkeypatch.setattr(torch_baselines, "l2_bytes", lambda t: 50 << 20)
    monkeypatch.setattr(torch_baselines, "measure_machine", lambda t: synthetic.MACHINE)

    def cublas(t: object, problem: Problem, l2: int, plan: Sampling, seed: int) -> Baseline:
        calls.append(("cublas", problem.m))
        calls.devices.append(getattr(current, "index", None))
        return Baseline("ok", timing=Timing(median_us=20.0 + problem.m))

    def int4(t: object, problem: Problem, l2: int, plan: Sampling, seed: int) -> Baseline:
        calls.append(("int4pack", problem.m))
        return Baseline("unavailable", reason="fake torch")

    monkeypatch.setattr(torch_baselines, "time_cublas", cublas)
    monkeypatch.setattr(torch_baselines, "time_int4pack", int4)
    return calls
