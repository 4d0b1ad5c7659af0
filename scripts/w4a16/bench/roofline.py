"""The time floor of a GEMM on this machine: max(bytes / copy bandwidth, flops / matmul rate).

Both rates are measured at the start of a run (torch_baselines.measure_machine), so the floor
is what this GPU demonstrably does, not a datasheet number. Bytes count every operand once:
a kernel cannot do better than reading its inputs and writing its output a single time.
"""

from __future__ import annotations

from dataclasses import dataclass

ACT_BYTES = 2  # fp16 and bf16


def w4a16_bytes(m: int, n: int, k: int, group: int, quant: str = "scale_only") -> int:
    """int4 weights (N*K/2) + scales (K/g*N*2) [+ zeros] + A (M*K*2) + out (M*N*2)."""
    groups = (k // group) * n
    side = groups * ACT_BYTES * (2 if quant == "scale_zeros" else 1)
    return n * k // 2 + side + m * k * ACT_BYTES + m * n * ACT_BYTES


def dense_bytes(m: int, n: int, k: int) -> int:
    """fp16/bf16 weights (N*K*2) + A + out: what cuBLAS must move."""
    return (n * k + m * k + m * n) * ACT_BYTES


def int4pack_bytes(m: int, n: int, k: int, group: int) -> int:
    """torch's int4 packing: int4 weights plus a (scale, zero) pair per group, A and out."""
    return w4a16_bytes(m, n, k, group, quant="scale_zeros")


def gemm_flops(m: int, n: int, k: int) -> int:
    return 2 * m * n * k


@dataclass(frozen=True)
class Floor:
    """The floor and which limit sets it."""

    memory_s: float
    compute_s: float

    @property
    def seconds(self) -> float:
        return max(self.memory_s, self.compute_s)

    @property
    def us(self) -> float:
        return self.seconds * 1e6

    @property
    def bound(self) -> str:
        return "memory" if self.memory_s >= self.compute_s else "compute"


def floor(nbytes: float, flops: float, bandwidth: float, rate: float) -> Floor:
    """bandwidth in bytes/s (read + written), rate in flop/s."""
    if bandwidth <= 0 or rate <= 0:
        raise ValueError("bandwidth and matmul rate must be positive")
    return Floor(memory_s=nbytes / bandwidth, compute_s=flops / rate)


def fraction_of_floor(floor_us: float, measured_us: float | None) -> float | None:
    """1.0 means the kernel runs at the floor; None when there is no measurement."""
    if measured_us is None or measured_us <= 0:
        return None
    return floor_us / measured_us
