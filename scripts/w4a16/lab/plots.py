"""The variant-comparison picture of a kernel experiment (matplotlib, Agg backend).

It draws on the panel layout of the sweep's plots, so both kinds of figure look alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from w4a16.bench.plots import _figure, _labels, _panel, _pyplot, _save
from w4a16.errors import UserError

VARIANTS_PNG = "variants.png"


def plot_variants(best: Sequence[Mapping[str, Any]], variants: Sequence[str],
                  cublas: Sequence[Mapping[str, Any]] | None, path: Path) -> Path:
    """An experiment's before/after picture: the best time of each variant against M, one
    panel per shape, cuBLAS dotted when the run measured it. `best` holds the summary's
    rows (label, m, variant, median_us); colours follow `variants`, so they match across
    panels even where a variant ran on fewer token counts."""
    if not best:
        raise UserError("no variant timed any tactic successfully: nothing to plot")
    plt = _pyplot()
    labels = _labels(best)
    fig, axes = _figure(plt, labels)
    for ax, label in zip(axes, labels, strict=True):
        for i, name in enumerate(variants):
            points = sorted((int(b["m"]), float(b["median_us"])) for b in best
                            if b["label"] == label and b["variant"] == name)
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, "-", color=f"C{i}", marker=".", label=name)
        reference = sorted((int(c["m"]), float(c["median_us"])) for c in cublas or ()
                           if c["label"] == label and c.get("median_us") is not None)
        if reference:
            xs, ys = zip(*reference, strict=True)
            ax.plot(xs, ys, ":", color="gray", marker=".", label="cuBLAS")
        ax.set_yscale("log")
        _panel(ax, label, "best median (us)")
    return _save(fig, plt, "Best tactic of each variant (same GPU, same run)", path)
