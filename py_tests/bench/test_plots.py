"""Plot files are made (Agg backend), from the right series."""

from __future__ import annotations

import pytest
from w4a16.bench import plots, report

from . import synthetic

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_series_sorted_by_m_and_missing_values_skipped():
    doc = report.refresh(synthetic.doc())
    s = plots.series(doc.problems, "speedup_best_vs_cublas", "bf16")
    assert list(s) == ["llama3-8b/o", "llama3-8b/down"]
    assert s["llama3-8b/o"] == [(1, pytest.approx(2.5)), (256, pytest.approx(2.0))]
    # bf16 down at M=256 has no cuBLAS time: no speedup point, the M=1 point stays.
    assert [m for m, _ in s["llama3-8b/down"]] == [1]


def test_write_plots_makes_two_pngs(tmp_path):
    doc = report.refresh(synthetic.doc())
    paths = plots.write_plots(doc.problems, tmp_path)
    assert [p.name for p in paths] == [plots.SPEEDUP_PNG, plots.FLOOR_PNG]
    for p in paths:
        data = p.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_no_plots_without_analysis(tmp_path):
    assert plots.write_plots(synthetic.doc().problems, tmp_path) == []
    assert not list(tmp_path.iterdir())
