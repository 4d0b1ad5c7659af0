"""The timing plan (copies, launches per graph, samples) and the statistics."""

from __future__ import annotations

import pytest
from w4a16.bench import timing

L2 = 50 << 20  # H100


def test_copies_exceed_twice_the_l2():
    # Llama-3-8B o at M=1 moves 8,667,136 B: 104,857,600 / 8,667,136 = 12.1 -> 13 copies.
    assert timing.copies_for(8_667_136, L2, 2.0) == 13
    assert 13 * 8_667_136 > 2 * L2 >= 12 * 8_667_136
    assert timing.copies_for(725_090_304, L2, 2.0) == 1  # already 7x the L2
    with pytest.raises(ValueError):
        timing.copies_for(0, L2, 2.0)


def test_launches_per_sample_are_whole_rounds_over_the_copies():
    plan = timing.Sampling()  # 500 us samples, at most 32 launches
    assert timing.launches_per_sample(10.0, 13, plan) == 39  # want 50 -> 32 -> 3 rounds of 13
    assert timing.launches_per_sample(100.0, 3, plan) == 6  # want 5 -> 2 rounds of 3
    assert timing.launches_per_sample(5000.0, 1, plan) == 1
    assert timing.launches_per_sample(5000.0, 4, plan) == 4  # never fewer than the copies
    assert timing.launches_per_sample(0.0, 1, plan) == 32  # clamped, no division by zero
    # Rounds half up like the C++ lround: 500/200 = 2.5 -> 3.
    assert timing.launches_per_sample(200.0, 1, plan) == 3


def test_sample_count_fits_the_budget_within_bounds():
    plan = timing.Sampling(budget_ms=15, min_samples=5, max_samples=100)
    assert timing.sample_count(300.0, plan) == 50
    assert timing.sample_count(10.0, plan) == 100
    assert timing.sample_count(20_000.0, plan) == 5


def test_summarize_odd_and_even():
    s = timing.summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (s.median_us, s.min_us, s.p90_us, s.samples) == (3.0, 1.0, 5.0, 5)
    assert s.mean_us == pytest.approx(3.0)
    s = timing.summarize([4.0, 1.0, 3.0, 2.0])
    assert s.median_us == 2.5 and s.p90_us == 4.0  # nearest rank: ceil(3.6) = 4th
    s = timing.summarize([float(x) for x in range(1, 21)])
    assert s.p90_us == 18.0  # ceil(18.0) = 18th of 20
    with pytest.raises(ValueError):
        timing.summarize([])


def test_plan_flags_round_trip():
    args = timing.Sampling(budget_ms=7.5, max_launches=16).binary_args()
    flags = dict(zip(args[::2], args[1::2], strict=True))
    assert flags["--budget-ms"] == "7.5" and flags["--max-launches"] == "16"
    assert set(flags) == {"--budget-ms", "--min-samples", "--max-samples", "--sample-us",
                          "--max-launches", "--warmup", "--l2-factor", "--settle-ms"}
    assert flags["--settle-ms"] == "0"


def test_settle_replays_fill_the_settle_time():
    assert timing.settle_replays(1000.0, 0.5) == 2000
    assert timing.settle_replays(1000.0, 3.0) == 334  # rounded up: at least the time asked
    assert timing.settle_replays(0.1, 5.0) == 1  # never none once asked for
    assert timing.settle_replays(1e9, 1e-3) == 1_000_000  # capped
