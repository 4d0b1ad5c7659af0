"""The time floor of a GEMM on this machine: max(bytes / copy bandwidth, flops / matmul rate).

Both rates are measured at the start of a run (torch_baselines.measure_machine), so the floor
is what this GPU demonstrably does, not a datasheet number. The bytes and flops are the
problem's own (problem.Problem): every operand counted once, since a kernel cannot do better
than reading its inputs and writing its output a single time.
"""

from __future__ import annotations

from dataclasses import dataclass

from w4a16.bench.problem import JsonObject, numbers_of, opt_int, opt_number


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


@dataclass(frozen=True)
class Machine:
    """This GPU's two roofline slopes as measured: a device-to-device copy (bytes read +
    written per second) and a dense matmul per dtype (flop/s), with what was timed."""

    copy_bytes: int
    copy_median_us: float
    copy_bandwidth_bytes_per_s: float
    matmul_size: int
    matmul_median_us: dict[str, float]
    matmul_flops_per_s: dict[str, float]

    def rate(self, dtype: str) -> float:
        return self.matmul_flops_per_s[dtype]

    def floor(self, nbytes: float, flops: float, dtype: str) -> Floor:
        """The floor of moving `nbytes` and computing `flops` in `dtype` on this machine."""
        return floor(nbytes, flops, float(self.copy_bandwidth_bytes_per_s),
                     float(self.rate(dtype)))

    def to_json(self) -> JsonObject:
        return {"copy_bytes": self.copy_bytes, "copy_median_us": self.copy_median_us,
                "copy_bandwidth_bytes_per_s": self.copy_bandwidth_bytes_per_s,
                "matmul_size": self.matmul_size,
                "matmul_median_us": dict(self.matmul_median_us),
                "matmul_flops_per_s": dict(self.matmul_flops_per_s)}

    @classmethod
    def from_json(cls, obj: JsonObject) -> Machine:
        def number(key: str) -> float:
            value = opt_number(obj, key)
            if value is None:
                raise ValueError(f"machine has no number {key!r}")
            return value

        return cls(copy_bytes=opt_int(obj, "copy_bytes") or 0,
                   copy_median_us=number("copy_median_us"),
                   copy_bandwidth_bytes_per_s=number("copy_bandwidth_bytes_per_s"),
                   matmul_size=opt_int(obj, "matmul_size") or 0,
                   matmul_median_us=numbers_of(obj.get("matmul_median_us") or {}),
                   matmul_flops_per_s=numbers_of(obj["matmul_flops_per_s"]))
