"""The sweep's plumbing with a fake bench binary and fake torch baselines (no GPU):
records become problems, baselines join them, progress is printed, failures are kept."""

from __future__ import annotations

import importlib.util
import json

import pytest
from w4a16 import fingerprint
from w4a16.bench import command


def test_sweep_assembles_problems_and_writes_the_report(tmp_path, fake_binary, fake_torch,
                                                         capsys):
    out = tmp_path / "out"
    code = command.main(["--binary", str(fake_binary), "--out", str(out), "--models",
                         "llama3-8b", "--layers", "qkv,down", "--m", "1,64", "--dtypes", "bf16"])
    assert code == 0
    doc = json.loads((out / "bench.json").read_text())
    assert [(p["layer"], p["m"]) for p in doc["problems"]] == [
        ("qkv", 1), ("qkv", 64), ("down", 1), ("down", 64)]
    qkv64 = doc["problems"][1]
    assert (qkv64["n"], qkv64["k"], qkv64["dtype"], qkv64["label"]) == (6144, 4096, "bf16",
                                                                        "llama3-8b/qkv")
    assert [t["status"] for t in qkv64["tactics"]] == ["ok", "not_compiled", "ok"]
    assert "record" not in qkv64["tactics"][0] and "label" not in qkv64["tactics"][0]
    assert qkv64["cublas"]["median_us"] == 84.0
    assert qkv64["int4pack"]["status"] == "unavailable"
    # M=64: config 0 takes 18 us, config 2 takes 14 us.
    a = qkv64["analysis"]
    assert a["best_tactic"] == "tile128x16x64_cluster2x1x1_coop"
    assert a["default_loss_us"] == pytest.approx(4.0)
    assert a["speedup_best_vs_cublas"] == pytest.approx(84.0 / 14.0)
    # The stream record joins its problem: 4 + 64/16 = 8 us against the best 14 us.
    assert qkv64["stream"]["median_us"] == 8.0 and qkv64["stream"]["bytes"] == 1
    assert a["stream_us"] == 8.0
    assert a["fraction_of_stream_best"] == pytest.approx(8.0 / 14.0)
    memory_floor_us = a["memory_floor_us"]
    assert a["stream_fraction_of_memory_floor"] == pytest.approx(memory_floor_us / 8.0)
    assert doc["device"]["sm_count"] == 132 and doc["errors"] == []
    assert doc["binary"]["sha256"] == fingerprint.sha256_file(fake_binary)
    assert fake_torch.count(("cublas", 64)) == 2
    raw = (out / "bench_records.jsonl").read_text().splitlines()
    # per job: device + 2 x (problem + 3 tactics + stream)
    assert len(raw) == 2 * (1 + 2 * (1 + 3 + 1))
    assert (out / "report.md").stat().st_size > 0
    if importlib.util.find_spec("matplotlib") is not None:
        for name in ("speedup_vs_cublas.png", "fraction_of_floor.png"):
            assert (out / name).stat().st_size > 0, name
    text = capsys.readouterr().out
    assert "[bench] (2/2" in text and "[4/4] M=64" in text and "-> 6.00x" in text
    assert "stream 8.0 us" in text
    assert "| 8.00 | 57% |" in (out / "report.md").read_text()
    assert "[fake] M=64 done" in (out / "bench_binary.log").read_text()


def test_a_failing_job_does_not_stop_the_next(tmp_path, fake_binary, fake_torch,
                                              monkeypatch):
    monkeypatch.setenv("FAKE_BENCH_FAIL_AT", "16")
    out = tmp_path / "out"
    code = command.main(["--binary", str(fake_binary), "--out", str(out), "--quick",
                         "--no-int4pack"])
    assert code == 1
    doc = json.loads((out / "bench.json").read_text())
    # --quick sweeps llama3-8b qkv and down at M 1,16,256,4096: both jobs die at M=16.
    assert [e["job"] for e in doc["errors"]] == ["llama3-8b/qkv fp16", "llama3-8b/down fp16"]
    assert [(p["layer"], p["m"]) for p in doc["problems"]] == [
        ("qkv", 1), ("qkv", 16), ("down", 1), ("down", 16)]
    assert all(p["int4pack"]["status"] == "skipped" for p in doc["problems"])
    assert not any(kind == "int4pack" for kind, _ in fake_torch)


def test_binary_failure_midway_keeps_what_was_measured(tmp_path, fake_binary, fake_torch,
                                                       monkeypatch, capsys):
    monkeypatch.setenv("FAKE_BENCH_FAIL_AT", "64")
    out = tmp_path / "out"
    code = command.main(["--binary", str(fake_binary), "--out", str(out), "--models",
                         "llama3-8b", "--layers", "o", "--m", "1,64,128", "--dtypes", "fp16"])
    assert code == 1
    doc = json.loads((out / "bench.json").read_text())
    assert [p["m"] for p in doc["problems"]] == [1, 64]
    assert len(doc["problems"][0]["tactics"]) == 3 and doc["problems"][1]["tactics"] == []
    [error] = doc["errors"]
    assert error["job"] == "llama3-8b/o fp16"
    assert "exited with 3" in error["message"] and "device unusable" in error["message"]
    md = (out / "report.md").read_text()
    assert "llama3-8b/o fp16: bench binary exited with 3" in md
    assert "error:" in capsys.readouterr().err


def test_missing_binary_is_one_clear_error(tmp_path, fake_torch, capsys):
    code = command.main(["--binary", str(tmp_path / "nope"), "--out", str(tmp_path), "--quick"])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_time_limit_stops_before_the_next_job_and_says_what_was_left(tmp_path, fake_binary,
                                                                     fake_torch):
    out = tmp_path / "out"
    code = command.main(["--binary", str(fake_binary), "--out", str(out), "--quick",
                         "--time-limit", "0.000001"])
    assert code == 1
    doc = json.loads((out / "bench.json").read_text())
    assert doc["problems"] == []
    [error] = doc["errors"]
    assert error["job"] == "time limit"
    assert error["message"].endswith("not run: llama3-8b/qkv fp16, llama3-8b/down fp16")
    assert "time limit" in (out / "report.md").read_text()
