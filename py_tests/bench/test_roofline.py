"""Roofline arithmetic against numbers worked out by hand."""

from __future__ import annotations

import pytest
from w4a16.bench import analysis, roofline
from w4a16.bench.analysis import TileBest
from w4a16.bench.problem import Problem

from . import synthetic


def test_w4a16_bytes_count_every_operand_once():
    # 4096x4096 int4 = 8,388,608 B; scales 32 groups x 4096 x 2 B = 262,144 B;
    # A 1x4096x2 = 8,192 B; out 1x4096x2 = 8,192 B.
    assert Problem("o", 1, 4096, 4096, "fp16", 128).bytes == 8_667_136
    # Zero points add a second [K/g, N] fp16 array.
    assert Problem("o", 1, 4096, 4096, "fp16", 128, "scale_zeros").bytes == \
        8_667_136 + 262_144
    # Llama-2-70B down, M=8192: 117,440,512 + 3,670,016 + 469,762,048 + 134,217,728.
    assert Problem("down", 8192, 8192, 28672, "bf16", 128).bytes == 725_090_304


def test_dense_and_int4pack_bytes():
    o = Problem("o", 1, 4096, 4096, "fp16", 128)
    assert o.dense_bytes == (16_777_216 + 4096 + 4096) * 2
    assert o.int4pack_bytes == 8_667_136 + 262_144
    assert Problem("qkv", 16, 6144, 4096).flops == 2 * 16 * 6144 * 4096


def test_floor_takes_the_larger_of_memory_and_compute():
    mem = roofline.floor(3e9, 1e12, bandwidth=3e12, rate=2e15)  # 1 ms vs 0.5 ms
    assert mem.bound == "memory"
    assert mem.us == pytest.approx(1000.0)
    comp = roofline.floor(3e9, 2 * 8192**3, bandwidth=3e12, rate=1e15)  # 1 ms vs 1.0995 ms
    assert comp.bound == "compute"
    assert comp.us == pytest.approx(1099.511627776)
    assert comp.memory_s == pytest.approx(1e-3)


def test_floor_refuses_nonsense_rates():
    with pytest.raises(ValueError):
        roofline.floor(1, 1, bandwidth=0, rate=1)
    with pytest.raises(ValueError):
        roofline.floor(1, 1, bandwidth=1, rate=-1)


def test_fraction_of_floor():
    assert roofline.fraction_of_floor(10.0, 20.0) == pytest.approx(0.5)
    assert roofline.fraction_of_floor(10.0, None) is None
    assert roofline.fraction_of_floor(10.0, 0.0) is None


def test_analysis_of_a_memory_bound_decode_row():
    p = synthetic.problem("llama3-8b", "o", 4096, 4096, 1, "fp16", 8.0, 9.0, 20.0)
    a = analysis.analyse(p, synthetic.MACHINE)
    # 8,667,136 B at 2 TB/s = 4.333568 us; 2*4096*4096 flop at 500 TFLOP/s = 0.067 us.
    assert a.bound == "memory"
    assert a.floor_us == pytest.approx(4.333568)
    assert a.compute_floor_us == pytest.approx(0.067108864)
    assert a.audit.best_tactic == synthetic.DEFAULT
    assert a.fraction_of_floor_best == pytest.approx(4.333568 / 8.0)
    # cuBLAS moves 33,570,816 B: floor 16.785408 us, reached at 20 us to 83.9%.
    assert a.cublas_floor_us == pytest.approx(16.785408)
    assert a.cublas_fraction_of_floor == pytest.approx(16.785408 / 20.0)
    assert a.speedup_best_vs_cublas == pytest.approx(2.5)
    assert a.speedup_default_vs_cublas == pytest.approx(2.5)
    assert a.int4pack_us is None  # fp16: unavailable in the synthetic set


def test_analysis_of_a_compute_bound_row_uses_the_dtype_rate():
    fp16 = analysis.analyse(
        synthetic.problem("llama3-8b", "o", 4096, 4096, 256, "fp16", 40.0, 25.0, 50.0),
        synthetic.MACHINE)
    # 2*256*4096*4096 = 8,589,934,592 flop at 500 TFLOP/s = 17.18 us > 6.42 us of memory.
    assert fp16.bound == "compute"
    assert fp16.floor_us == pytest.approx(17.179869184)
    assert fp16.memory_floor_us == pytest.approx(12_845_056 / 2e12 * 1e6)
    assert fp16.fraction_of_floor_best == pytest.approx(17.179869184 / 25.0)
    assert fp16.speedup_best_vs_cublas == pytest.approx(2.0)
    assert fp16.speedup_default_vs_cublas == pytest.approx(1.25)
    bf16 = analysis.analyse(
        synthetic.problem("llama3-8b", "o", 4096, 4096, 256, "bf16", 40.0, 25.0, 50.0),
        synthetic.MACHINE)
    assert bf16.floor_us == pytest.approx(21.47483648)  # at 400 TFLOP/s
    assert bf16.int4pack_us == pytest.approx(30.0)
    assert bf16.speedup_int4pack_vs_cublas == pytest.approx(50.0 / 30.0)
    assert bf16.speedup_best_vs_int4pack == pytest.approx(30.0 / 25.0)
    assert bf16.best_per_tile == {
        "64x16": TileBest(synthetic.DEFAULT, 40.0),
        "128x16": TileBest(synthetic.FAST, 25.0)}
