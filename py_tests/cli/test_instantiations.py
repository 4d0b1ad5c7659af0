"""How the generator deals instantiations into translation units."""

from __future__ import annotations

from pathlib import Path

import pytest
from w4a16 import instantiations, tactics
from w4a16.errors import UserError


def test_default_tus_keep_each_nvcc_small() -> None:
    # 84 instantiations with 2 jobs: 12 TUs of at most 8 (6 full waves), not 2 of 42.
    assert instantiations.default_tus(84, jobs=2) == 12
    assert instantiations.default_tus(3, jobs=2) == 2  # never fewer TUs than jobs
    assert instantiations.default_tus(2, jobs=16) == 2  # nor more than instantiations


def test_default_tus_fill_whole_waves_of_jobs() -> None:
    # The GPU machine builds with 12 jobs: one wave of 12 units, no unit left for a second.
    for jobs in (2, 4, 12, 16):
        tus = instantiations.default_tus(84, jobs=jobs)
        assert tus % jobs == 0 and -(-84 // tus) <= instantiations.MAX_PER_TU
        fewer = tus - jobs
        assert fewer == 0 or -(-84 // fewer) > instantiations.MAX_PER_TU
    assert instantiations.default_tus(84, jobs=12) == 12


def test_decode_tiles_count_their_deep_kernel() -> None:
    # Fix 0005 compiles a 128-deep kernel beside each tile at most 32 tokens wide: 6 of
    # TensorRT-LLM's 21 tactics, so the 84 instantiations of the slim build hold 108 kernels.
    selected = tactics.select(None, tactics.ACTIVATIONS, tactics.QUANT_OPS, row256=False)
    weights = [instantiations.kernels_of(i) for i in selected]
    assert len(selected) == 84 and sum(weights) == 108
    assert {i.tactic.tile for i in selected if instantiations.kernels_of(i) == 2} == {
        "64x16", "128x16", "64x32", "128x32"}
    # Fix 0008 adds 10 tactics of 256 rows, 4 of them (256x16 and 256x32) with a deep kernel.
    full = tactics.select(None, tactics.ACTIVATIONS, tactics.QUANT_OPS)
    assert len(full) == 124 and sum(instantiations.kernels_of(i) for i in full) == 164
    # 108 kernels need 14 units of at most 8: two waves of 12 on the 16-core GPU machine.
    assert instantiations.default_tus(84, jobs=12, kernels=108) == 24
    assert instantiations.default_tus(84, jobs=2, kernels=108) == 14


def test_generated_tus_respect_the_bound(tmp_path: Path) -> None:
    selected = tactics.select(tactics.parse_tile_filter("all"), tactics.ACTIVATIONS,
                              tactics.QUANT_OPS)
    kernels = sum(instantiations.kernels_of(i) for i in selected)
    for jobs in (2, 12):
        tus = instantiations.default_tus(len(selected), jobs, kernels)
        manifest = instantiations.generate(tmp_path, selected, tus, "all")
        units = [[i for i in selected if i.name in names]
                 for names in manifest["translation_units"].values()]
        loads = [sum(instantiations.kernels_of(i) for i in u) for u in units]
        texts = [p.read_text() for p in sorted(tmp_path.glob("w4a16_launchers_*.cu"))]
        assert len(texts) == len(units) == tus
        assert sum(t.count("template void") for t in texts) == len(selected)
        assert sorted(n for u in units for n in (i.name for i in u)) == sorted(
            manifest["compiled"])
        assert max(loads) <= instantiations.MAX_PER_TU
        assert max(loads) - min(loads) <= 1  # balanced by kernels, not by instantiations


def test_256_row_tiles_come_last_and_only_with_fix_0008() -> None:
    base, full = tactics.all_tactics(row256=False), tactics.all_tactics()
    assert len(base) == 21 and full[:21] == base and len(full) == 31
    assert {t.tile for t in full[21:]} == {"256x16", "256x32", "256x64", "256x128"}
    assert all(t.schedule == "coop" for t in full[21:])
    assert tactics.parse_tile_filter("256x16,64x16") == {"256x16", "64x16"}
    with pytest.raises(UserError, match="256x16 need kernel fix 0008"):
        tactics.parse_tile_filter("64x16,256x16", row256=False)
    assert tactics.parse_tile_filter("all", row256=False) is None
    assert len(tactics.select(row256=False)) == 84
