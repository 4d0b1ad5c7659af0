"""How the generator deals instantiations into translation units."""

from __future__ import annotations

from pathlib import Path

from w4a16 import instantiations, tactics


def test_default_tus_keep_each_nvcc_small() -> None:
    # 84 instantiations on a 2-core machine: 11 TUs of at most 8, not 2 of 42.
    assert instantiations.default_tus(84, cores=2) == 11
    assert instantiations.default_tus(3, cores=2) == 2  # never fewer TUs than cores
    assert instantiations.default_tus(84, cores=16) == 16


def test_generated_tus_respect_the_bound(tmp_path: Path) -> None:
    selected = tactics.select(tactics.parse_tile_filter("all"), tactics.ACTIVATIONS,
                              tactics.QUANT_OPS)
    tus = instantiations.default_tus(len(selected), cores=2)
    manifest = instantiations.generate(tmp_path, selected, tus, "all")
    sizes = [text.count("template void") for text in
             (p.read_text() for p in sorted(tmp_path.glob("w4a16_launchers_*.cu")))]
    assert sum(sizes) == len(selected) == len(manifest["compiled"])
    assert max(sizes) <= instantiations.MAX_PER_TU
