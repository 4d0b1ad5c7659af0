"""The sampling settings and statistics shared by the bench binary and the torch baselines.

The same rules as cpp_tests/w4a16_sm90_bench.cu, so cuBLAS and the W4A16 tactics are
measured alike: C operand copies whose total exceeds l2_factor x L2 (every launch reads
from DRAM), CUDA graphs of L launches (a whole number of rounds over the copies, about
sample_us long), a number of samples that fits the time budget, and per-launch statistics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from w4a16.bench.problem import Timing


@dataclass(frozen=True)
class Sampling:
    """How to sample one kernel (defaults match the bench binary's)."""

    budget_ms: float = 15.0
    min_samples: int = 5
    max_samples: int = 100
    sample_us: float = 500.0
    max_launches: int = 32
    warmup: int = 2
    l2_factor: float = 2.0
    settle_ms: float = 0.0

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)

    def binary_args(self) -> list[str]:
        """The same plan as command-line flags of w4a16SM90Bench."""
        return ["--budget-ms", f"{self.budget_ms:g}", "--min-samples", str(self.min_samples),
                "--max-samples", str(self.max_samples), "--sample-us", f"{self.sample_us:g}",
                "--max-launches", str(self.max_launches), "--warmup", str(self.warmup),
                "--l2-factor", f"{self.l2_factor:g}", "--settle-ms", f"{self.settle_ms:g}"]


def settle_replays(settle_ms: float, sample_ms: float) -> int:
    """Untimed replays that fill about settle_ms (at least one, at most a million), as the
    bench binary counts them."""
    return int(min(max(math.ceil(settle_ms / max(sample_ms, 1e-6)), 1), 1_000_000))


def copies_for(set_bytes: int, l2_bytes: int, l2_factor: float) -> int:
    """Smallest number of operand copies whose total exceeds l2_factor x L2."""
    if set_bytes <= 0:
        raise ValueError("an operand set has a positive size")
    return int(l2_factor * l2_bytes / set_bytes) + 1


def launches_per_sample(launch_us: float, copies: int, sampling: Sampling) -> int:
    """About sample_us of launches, at most max_launches, rounded up to whole rounds."""
    want = math.floor(sampling.sample_us / max(launch_us, 0.1) + 0.5)  # C++ lround, not banker's
    want = min(max(want, 1), sampling.max_launches)
    return copies * max(1, math.ceil(want / copies))


def sample_count(sample_us: float, sampling: Sampling) -> int:
    """As many samples as fit the budget, within [min_samples, max_samples]."""
    fit = sampling.budget_ms * 1e3 / max(sample_us, 1e-3)
    return int(min(max(fit, sampling.min_samples), sampling.max_samples))


def summarize(per_launch_us: Sequence[float]) -> Timing:
    """Median, min, 90th percentile (nearest rank) and mean of per-launch times."""
    if not per_launch_us:
        raise ValueError("no samples")
    v = sorted(per_launch_us)
    n = len(v)
    median = v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])
    return Timing(median_us=median, min_us=v[0], p90_us=v[math.ceil(0.9 * n) - 1],
                  mean_us=sum(v) / n, samples=n)
