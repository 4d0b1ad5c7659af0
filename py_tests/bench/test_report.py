"""Report writing from the synthetic measurement set: JSON, Markdown, --report-only."""

from __future__ import annotations

import gzip
import importlib.util
import json
from dataclasses import replace

import pytest
from w4a16.bench import command, plots, report
from w4a16.lab import decode_model

from . import synthetic


def test_write_report_keeps_every_measurement_and_adds_analysis(tmp_path):
    doc = synthetic.doc()
    written = report.write_report(doc, tmp_path)
    assert [p.name for p in written] == ["bench.json", "report.md"]
    back = json.loads((tmp_path / "bench.json").read_text())
    assert len(back["problems"]) == 8
    first = back["problems"][0]
    assert first["tactics"][0]["median_us"] == 8.0 and first["tactics"][0]["p90_us"] == 8.24
    assert first["analysis"]["floor_us"] == pytest.approx(4.333568)
    assert back["machine"]["copy_bandwidth_bytes_per_s"] == 2.0e12
    assert report.load(tmp_path / "bench.json").version == 1


def test_markdown_has_the_roofline_the_audit_and_the_rows(tmp_path):
    doc = report.refresh(synthetic.doc())
    md = report.markdown(doc)
    assert "copy bandwidth: 2.00 TB/s" in md
    assert "fp16 500 TFLOP/s, bf16 400 TFLOP/s" in md
    assert (f"default (config 0, or the CUDA-core GEMV for M < 5 where built; here "
            f"`{synthetic.DEFAULT}`): fastest on 4 of 8 problems, within 5% "
            "on 4; median loss 30%, worst 60% (llama3-8b/o fp16 M=256); 60 us lost") in md
    assert f"occupancy estimate unavailable on 8 problems: {synthetic.UNAVAILABLE}" in md
    # o, M=256, fp16: floor 17.2 us (compute), best 128x16 c2x1 at 25 us = 69% of floor,
    # the stream floor 20 us (80% of it), default 40 us (+60%), cuBLAS 50 us, speedups 2.00x
    # and 1.25x.
    row = ("| llama3-8b | o | 256 | 4096 | 4096 | 17.2 | compute | 128x16 c2x1 | 25.0 | 69% | "
           "20.0 | 80% | 40.0 | 60% | 50.0 |")
    assert row in md
    assert "| 2.00x | 1.25x |" in md
    assert md.index("## Results, fp16") < md.index("## Results, bf16")
    # Failures: the erroring tactic with its message, the baselines that did not run.
    assert (f"`{synthetic.BROKEN}` error on 1 problems (first: llama3-8b/o fp16 M=1): "
            "can_implement failed") in md
    assert f"`{synthetic.BROKEN}` error on 7 problems (first: llama3-8b/o fp16 M=256): \n" in md
    assert "cublas bf16: error on 1 problems: RuntimeError: out of memory" in md
    assert "int4pack fp16: unavailable on 4 problems: RuntimeError: needs bfloat16" in md
    assert "stream bf16: wrong_sum on 4 problems: block sums differ" in md
    assert "8 (problem, tactic) pairs were not compiled" in md


def test_markdown_per_m_winners():
    md = report.markdown(report.refresh(synthetic.doc()))
    # Each shape's table entry is learned from the other shape, which has the same winner.
    assert f"| 1 | `{synthetic.DEFAULT}` | 4/4 | 0% | 0% | 0% |" in md
    assert f"| 256 | `{synthetic.FAST}` | 4/4 | 60% | 0% | 0% |" in md
    assert ("a static (M, dtype) table, each entry learned from the other shapes only (the pick "
            "a heuristic without profiling could hard-code): within 5% of the best on 8 of 8 "
            "problems; median loss 0%, worst 0%") in md


def test_report_only_rebuilds_everything_without_a_gpu(tmp_path, capsys):
    src = tmp_path / "in" / "bench.json"
    report.write_json(synthetic.doc(), src)
    out = tmp_path / "out"
    assert command.main(["--report-only", str(src), "--out", str(out)]) == 0
    for name in ("bench.json", "report.md"):
        assert (out / name).stat().st_size > 0, name
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("speedup_vs_cublas.png", "fraction_of_floor.png"):
            assert (out / name).stat().st_size > 0, name
    assert "wrote" in capsys.readouterr().out


def test_report_only_reads_a_gzip_compressed_bench_json(tmp_path):
    plain = tmp_path / "bench.json"
    report.write_json(synthetic.doc(), plain)
    packed = tmp_path / "kept" / "bench.json.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert command.main(["--report-only", str(packed), "--out", str(tmp_path / "a")]) == 0
    assert command.main(["--report-only", str(plain), "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "a" / "report.md").read_text() == (tmp_path / "b" / "report.md").read_text()


def test_report_only_refuses_a_foreign_file(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    assert command.main(["--report-only", str(bad), "--out", str(tmp_path)]) == 2
    assert "not a w4a16 bench result" in capsys.readouterr().err


def test_without_matplotlib_the_report_is_still_written(tmp_path, monkeypatch, capsys):
    from w4a16.bench import plots, sweep
    from w4a16.errors import UserError

    def no_matplotlib():
        raise UserError("plots need matplotlib (pip install matplotlib)")

    monkeypatch.setattr(plots, "_pyplot", no_matplotlib)
    written = sweep.finish_report(synthetic.doc(), tmp_path)
    assert [p.name for p in written] == ["bench.json", "report.md"]
    assert "no plots: plots need matplotlib" in capsys.readouterr().err


def test_a_tactic_that_is_not_a_tile_flows_through_report_plots_and_model(tmp_path):
    """Binaries built from a full TensorRT-LLM tree add `cuda_core_gemv`, which no
    CUTLASS tile name describes: it is its own family everywhere, never a crash."""
    doc = synthetic.doc()
    for p in doc.problems:
        m = p.problem.m
        gemv = synthetic.tactic(4, "cuda_core_gemv", 4.0 if m == 1 else None,
                                "ok" if m == 1 else "skipped")
        p.tactics.append(gemv)
        if m == 1:
            p.record = replace(p.record, default_tactic="cuda_core_gemv")
    doc = report.refresh(doc)
    m1 = doc.problems[0].analysis
    assert m1 is not None
    assert m1.audit.best_tactic == m1.audit.default_tactic == "cuda_core_gemv"
    assert m1.best_per_tile["cuda_core_gemv"].median_us == 4.0
    md = report.markdown(doc)
    assert "| 1 | 4096 | 4096 |" in md and "| memory | cuda_core_gemv | 4.00 |" in md
    assert "`cuda_core_gemv`, `tile64x16x64_cluster1x1x1_pingpong`" in md
    assert report._short("cuda_core_gemv") == "cuda_core_gemv"
    assert report._short(synthetic.FAST) == "128x16 c2x1"
    # The decode model reads bench.json as JSON.
    as_json = doc.to_json()
    rows = decode_model.rows_of(as_json["problems"], [1, 256], "fp16", None)
    assert "cuda_core_gemv" not in rows and synthetic.FAST in rows
    assert decode_model.fits_by_mode(as_json, {}, [1], "fp16") == []
    if importlib.util.find_spec("matplotlib") is not None:
        assert len(plots.write_plots(doc.problems, tmp_path)) == 2
