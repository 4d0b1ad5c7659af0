"""PNG plots of a sweep (matplotlib, Agg backend: no display needed).

One panel per weight shape, M on a log2 axis: speedup over cuBLAS of the best and the default
tactic, and the fraction of the roofline floor reached by W4A16 and by cuBLAS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from w4a16.bench.problem import ProblemResult
from w4a16.errors import UserError

SPEEDUP_PNG = "speedup_vs_cublas.png"
FLOOR_PNG = "fraction_of_floor.png"
DTYPE_COLORS = {"fp16": "tab:blue", "bf16": "tab:orange"}


def series(problems: Sequence[ProblemResult], metric: str,
           dtype: str) -> dict[str, list[tuple[int, float]]]:
    """{shape label: [(M, value)] sorted by M} of one analysis metric (its name in the JSON);
    missing values skipped."""
    out: dict[str, list[tuple[int, float]]] = {}
    for p in problems:
        if p.problem.dtype != dtype:
            continue
        points = out.setdefault(p.problem.label, [])
        value = p.analysis.value(metric) if p.analysis else None
        if value is not None:
            points.append((p.problem.m, float(value)))
    return {label: sorted(points) for label, points in out.items()}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise UserError("plots need matplotlib (pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure(plt: Any, labels: Sequence[str]) -> tuple[Any, list[Any]]:
    cols = min(4, max(1, len(labels)))
    rows = math.ceil(len(labels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False,
                             sharex=True)
    flat = [ax for row in axes for ax in row]
    for ax in flat[len(labels):]:
        ax.set_visible(False)
    return fig, flat[:len(labels)]


def _labels(items: Iterable[str | Mapping[str, object]]) -> list[str]:
    """The distinct panel labels in order of appearance: the strings given, or the `label`
    of each row (an experiment's summary rows)."""
    return list(dict.fromkeys(x if isinstance(x, str) else str(x["label"]) for x in items))


def _panel(ax: Any, label: str, ylabel: str) -> None:
    ax.set_title(label, fontsize=10)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("M (tokens)")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)


def _lines(ax: Any, problems: Sequence[ProblemResult], label: str,
           lines: Sequence[tuple[str, str, str]]) -> None:
    """lines: (metric, legend text, linestyle), drawn for each dtype present."""
    for dtype, color in DTYPE_COLORS.items():
        for metric, text, style in lines:
            points = series(problems, metric, dtype).get(label, [])
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, style, color=color, marker=".", label=f"{text} {dtype}")


def _save(fig: Any, plt: Any, title: str, path: Path) -> Path:
    handles, names = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=max(1, len(names)), fontsize=9)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_panels(problems: Sequence[ProblemResult], path: Path,
                 series: tuple[tuple[str, str, str], ...], ylabel: str, title: str,
                 from_zero: bool) -> Path:
    """One panel per shape, the given series against M, a reference line at 1."""
    plt = _pyplot()
    labels = _labels(p.problem.label for p in problems)
    fig, axes = _figure(plt, labels)
    for ax, label in zip(axes, labels, strict=True):
        _lines(ax, problems, label, series)
        ax.axhline(1.0, color="gray", linewidth=0.8)
        if from_zero:
            ax.set_ylim(bottom=0)
        _panel(ax, label, ylabel)
    return _save(fig, plt, title, path)


def plot_speedup(problems: Sequence[ProblemResult], path: Path) -> Path:
    return _plot_panels(problems, path,
                        (("speedup_best_vs_cublas", "best tactic", "-"),
                         ("speedup_default_vs_cublas", "default (config 0)", "--")),
                        "speedup over cuBLAS", "W4A16 speedup over cuBLAS (same dtype, same run)",
                        from_zero=False)


def plot_floor_fraction(problems: Sequence[ProblemResult], path: Path) -> Path:
    return _plot_panels(problems, path,
                        (("fraction_of_floor_best", "W4A16 best", "-"),
                         ("cublas_fraction_of_floor", "cuBLAS", ":")),
                        "fraction of floor",
                        "Fraction of the roofline floor max(bytes/BW, flops/rate) reached",
                        from_zero=True)


def write_plots(problems: Sequence[ProblemResult], out_dir: Path) -> list[Path]:
    """Both PNGs; nothing when no problem has an analysis yet."""
    if not any(p.analysis for p in problems):
        return []
    return [plot_speedup(problems, out_dir / SPEEDUP_PNG),
            plot_floor_fraction(problems, out_dir / FLOOR_PNG)]

