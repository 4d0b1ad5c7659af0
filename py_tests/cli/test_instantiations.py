"""How the generator deals instantiations into translation units."""

from __future__ import annotations

from pathlib import Path

from w4a16 import instantiations, tactics


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


def test_generated_tus_respect_the_bound(tmp_path: Path) -> None:
    selected = tactics.select(tactics.parse_tile_filter("all"), tactics.ACTIVATIONS,
                              tactics.QUANT_OPS)
    tus = instantiations.default_tus(len(selected), jobs=2)
    manifest = instantiations.generate(tmp_path, selected, tus, "all")
    sizes = [text.count("template void") for text in
             (p.read_text() for p in sorted(tmp_path.glob("w4a16_launchers_*.cu")))]
    assert sum(sizes) == len(selected) == len(manifest["compiled"])
    assert max(sizes) <= instantiations.MAX_PER_TU
