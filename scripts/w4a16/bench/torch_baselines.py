"""The GPU measurements made with torch: this machine's roofline, cuBLAS, torch's int4 matmul.

Baselines are timed with the bench binary's sampling settings (timing.py): operand copies
beyond 2x L2, CUDA graphs of L launches over the copies, samples queued behind a spinning kernel,
per-launch median/min/p90. torch is imported only here, and only when a sweep runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from w4a16.bench import roofline, timing
from w4a16.bench.problem import Baseline, Problem
from w4a16.errors import UserError

# torch.cuda._sleep spins for a number of GPU cycles; H100 clocks run near 2 GHz.
CYCLES_PER_US = 2000
# torch's int4 packing wants K to be a multiple of innerKTiles * 16.
INNER_K_TILES = 8
COPY_BYTES = 1 << 30
MATMUL_SIZE = 8192


def load_torch() -> Any:
    """torch with a usable CUDA device, or a one-line UserError saying what is missing."""
    try:
        import torch
    except ImportError:
        raise UserError("the benchmark needs torch with CUDA (pip install torch)") from None
    if not torch.cuda.is_available():
        raise UserError(f"torch {torch.__version__} sees no CUDA device; the benchmark needs "
                        "the SM90 GPU")
    return torch


def _dtype(torch: Any, name: str) -> Any:
    return {"fp16": torch.float16, "bf16": torch.bfloat16}[name]


def l2_bytes(torch: Any) -> int:
    """L2 size of GPU 0 (H100: 50 MiB); the 50 MiB guess only if torch cannot say."""
    return int(getattr(torch.cuda.get_device_properties(0), "L2_cache_size", 50 << 20))


def _queued(torch: Any, enqueue: Callable[[], Any], reps: int) -> list[float]:
    """Milliseconds of `reps` calls of enqueue, all queued behind a spin so no sample
    contains host time (Python takes tens of microseconds per call)."""
    events = [torch.cuda.Event(enable_timing=True) for _ in range(reps + 1)]
    sleep = getattr(torch.cuda, "_sleep", None)
    torch.cuda.synchronize()
    if sleep is not None:
        sleep(int(CYCLES_PER_US * (1000 + 60 * reps)))
    for i in range(reps):
        events[i].record()
        enqueue()
    events[reps].record()
    torch.cuda.synchronize()
    return [events[i].elapsed_time(events[i + 1]) for i in range(reps)]


def _capture(torch: Any, launch: Callable[[int], Any], copies: int, launches: int) -> Any:
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(launches):
            launch(i % copies)
    return graph


def time_launches(torch: Any, launch: Callable[[int], Any], copies: int,
                  sampling: timing.Sampling) -> Baseline:
    """Time launch(copy) as the bench binary times a tactic; per-launch statistics."""
    for c in range(copies):  # eager warm-up: cuBLAS handles, workspaces, heuristics
        launch(c)
    torch.cuda.synchronize()
    graph = _capture(torch, launch, copies, copies)
    launch_us = min(_queued(torch, graph.replay, 2)) * 1e3 / copies
    launches = timing.launches_per_sample(launch_us, copies, sampling)
    if launches != copies:
        graph = _capture(torch, launch, copies, launches)
    if sampling.warmup:
        _queued(torch, graph.replay, sampling.warmup)
    if sampling.settle_ms > 0:
        for _ in range(timing.settle_replays(sampling.settle_ms, launch_us * launches * 1e-3)):
            graph.replay()
        torch.cuda.synchronize()
    reps = timing.sample_count(launch_us * launches, sampling)
    ms = _queued(torch, graph.replay, reps)
    stats = timing.summarize([x * 1e3 / launches for x in ms])
    return Baseline("ok", timing=replace(stats, launches_per_sample=launches, copies=copies))


def _uniform(torch: Any, shape: tuple[int, ...], low: float, high: float, dtype: Any,
             gen: Any) -> Any:
    t = torch.empty(shape, dtype=dtype, device="cuda")
    return t.uniform_(low, high, generator=gen)


def _median_us(torch: Any, enqueue: Callable[[], Any], reps: int) -> float:
    for _ in range(3):
        enqueue()
    median = timing.summarize([x * 1e3 for x in _queued(torch, enqueue, reps)]).median_us
    assert median is not None
    return float(median)


def _copy_us(torch: Any, reps: int) -> float:
    src = torch.empty(COPY_BYTES, dtype=torch.uint8, device="cuda").random_(0, 256)
    dst = torch.empty_like(src)
    return _median_us(torch, lambda: dst.copy_(src), reps)


def _matmul_us(torch: Any, dtype: str, reps: int) -> float:
    gen = torch.Generator(device="cuda").manual_seed(7)
    shape = (MATMUL_SIZE, MATMUL_SIZE)
    a = _uniform(torch, shape, -1, 1, _dtype(torch, dtype), gen)
    b = _uniform(torch, shape, -1, 1, _dtype(torch, dtype), gen)
    c = torch.empty_like(a)
    return _median_us(torch, lambda: torch.mm(a, b, out=c), reps)


def measure_machine(torch: Any, reps: int = 20) -> roofline.Machine:
    """Copy bandwidth (a 1 GiB device-to-device copy, bytes read + written) and the dense
    matmul rate (8192^3) per dtype: the two slopes of this machine's roofline."""
    copy_us = _copy_us(torch, reps)
    matmul_us = {name: _matmul_us(torch, name, reps) for name in ("fp16", "bf16")}
    torch.cuda.empty_cache()
    return roofline.Machine(
        copy_bytes=COPY_BYTES,
        copy_median_us=copy_us,
        copy_bandwidth_bytes_per_s=2 * COPY_BYTES / (copy_us * 1e-6),
        matmul_size=MATMUL_SIZE,
        matmul_median_us=matmul_us,
        matmul_flops_per_s={k: 2 * MATMUL_SIZE**3 / (v * 1e-6) for k, v in matmul_us.items()},
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


def time_cublas(torch: Any, problem: Problem, l2: int, sampling: timing.Sampling,
                seed: int = 1234) -> Baseline:
    """torch.mm(A[M,K], W[N,K].T) in the problem's dtype (cuBLAS), the layout of nn.Linear;
    l2: the L2 size in bytes, which the operand copies exceed."""
    m, n, k = problem.m, problem.n, problem.k
    try:
        dt = _dtype(torch, problem.dtype)
        gen = torch.Generator(device="cuda").manual_seed(seed)
        copies = timing.copies_for(problem.dense_bytes, l2, sampling.l2_factor)
        w0 = _uniform(torch, (n, k), -1 / 64, 1 / 64, dt, gen)
        a0 = _uniform(torch, (m, k), -1, 1, dt, gen)
        ws = [w0] + [w0.clone() for _ in range(copies - 1)]
        As = [a0] + [a0.clone() for _ in range(copies - 1)]
        outs = [torch.full((m, n), float("nan"), dtype=dt, device="cuda") for _ in range(copies)]

        def launch(i: int) -> None:
            torch.mm(As[i], ws[i].t(), out=outs[i])

        launch(0)
        if not bool(torch.isfinite(outs[0]).all()):
            return Baseline("nonfinite", reason="cuBLAS output has NaN/Inf")
        return time_launches(torch, launch, copies, sampling)
    except Exception as exc:  # recorded; the sweep goes on
        return Baseline("error", reason=_first_line(exc))


def time_int4pack(torch: Any, problem: Problem, l2: int, sampling: timing.Sampling,
                  seed: int = 1234) -> Baseline:
    """torch's own int4 weight-only matmul (_weight_int4pack_mm on its own packing, the
    problem's group size), where this torch has it for this dtype; otherwise 'unavailable'
    with the reason."""
    m, n, k, group = problem.m, problem.n, problem.k, problem.group
    try:
        ops = torch.ops.aten
        dt = _dtype(torch, problem.dtype)
        gen = torch.Generator(device="cuda").manual_seed(seed)
        copies = timing.copies_for(problem.int4pack_bytes, l2, sampling.l2_factor)
        raw = torch.randint(0, 256, (n, k // 2), dtype=torch.uint8, device="cuda", generator=gen)
        packed0 = ops._convert_weight_to_int4pack(raw, INNER_K_TILES)
        sz0 = torch.empty((k // group, n, 2), dtype=dt, device="cuda")
        sz0[..., 0].uniform_(0.5 / 64, 1.5 / 64, generator=gen)
        sz0[..., 1].uniform_(-1 / 32, 1 / 32, generator=gen)
        a0 = _uniform(torch, (m, k), -1, 1, dt, gen)
        packed = [packed0] + [packed0.clone() for _ in range(copies - 1)]
        szs = [sz0] + [sz0.clone() for _ in range(copies - 1)]
        As = [a0] + [a0.clone() for _ in range(copies - 1)]

        def launch(i: int) -> Any:
            return ops._weight_int4pack_mm(As[i], packed[i], group, szs[i])

        if not bool(torch.isfinite(launch(0)).all()):
            return Baseline("nonfinite", reason="_weight_int4pack_mm output has NaN/Inf")
        return time_launches(torch, launch, copies, sampling)
    except Exception as exc:  # recorded; the sweep goes on
        return Baseline("unavailable", reason=_first_line(exc))
