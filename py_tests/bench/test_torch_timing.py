"""time_launches follows the shared timing plan. torch is replaced by a simulated GPU whose
clock advances 10 us per launch, so the answer is known; this checks the plumbing (graph of
whole rounds over the copies, probe, sample count, per-launch statistics), not CUDA."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
from w4a16.bench import timing, torch_baselines


class FakeGpu:
    def __init__(self, launch_us: float) -> None:
        self.clock_us = 0.0
        self.launch_us = launch_us
        self.capturing: list | None = None
        self.graph_sizes: list[int] = []
        self.launched: list[int] = []

    def launch(self, copy: int) -> None:
        if self.capturing is not None:
            self.capturing.append(copy)
        else:
            self.launched.append(copy)
            self.clock_us += self.launch_us

    def torch(self) -> SimpleNamespace:
        gpu = self

        class Event:
            def __init__(self, enable_timing: bool) -> None:
                self.t = 0.0

            def record(self) -> None:
                self.t = gpu.clock_us

            def elapsed_time(self, other: Event) -> float:
                return (other.t - self.t) / 1e3

        class Graph:
            def __init__(self) -> None:
                self.copies: list[int] = []

            def replay(self) -> None:
                for c in self.copies:
                    gpu.launched.append(c)
                    gpu.clock_us += gpu.launch_us

        @contextlib.contextmanager
        def graph(g: Graph):
            gpu.capturing = g.copies
            yield
            gpu.capturing = None
            gpu.graph_sizes.append(len(g.copies))

        return SimpleNamespace(cuda=SimpleNamespace(
            Event=Event, CUDAGraph=Graph, graph=graph, synchronize=lambda: None,
            _sleep=lambda cycles: None))


def test_time_launches_follows_the_plan():
    gpu = FakeGpu(launch_us=10.0)
    sampling = timing.Sampling()  # 500 us samples, <= 32 launches, 15 ms budget, 2 warm-up replays
    result = torch_baselines.time_launches(gpu.torch(), gpu.launch, copies=3, sampling=sampling)
    # 10 us launches: want 50 -> 32 -> 11 rounds of 3 = 33 launches per sample of 330 us;
    # 15 ms / 330 us = 45 samples.
    assert result.status == "ok"
    assert result.timing.launches_per_sample == 33 and result.timing.copies == 3
    assert result.timing.samples == 45
    assert result.median_us == pytest.approx(10.0)
    assert result.timing.p90_us == pytest.approx(10.0)
    assert gpu.graph_sizes == [3, 33]  # probe graph: one round; sampling graph: 11 rounds
    # Eager warm-up 3 + probe 2x3 + warm-up 2x33 + samples 45x33, every copy equally often.
    assert len(gpu.launched) == 3 + 6 + 66 + 45 * 33
    assert {c: gpu.launched.count(c) for c in range(3)} == dict.fromkeys(range(3),
                                                                         len(gpu.launched) // 3)


def test_long_kernels_get_one_launch_per_copy_and_the_minimum_samples():
    gpu = FakeGpu(launch_us=8000.0)
    result = torch_baselines.time_launches(gpu.torch(), gpu.launch, copies=1,
                                           sampling=timing.Sampling())
    assert result.timing.launches_per_sample == 1 and result.timing.samples == 5
    assert result.median_us == pytest.approx(8000.0)
    assert gpu.graph_sizes == [1]  # the probe graph is already the sampling graph
