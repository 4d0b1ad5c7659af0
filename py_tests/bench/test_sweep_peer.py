"""vLLM's Machete as a peer in the sweep (fake binaries, no GPU): its results join ours by
M in the fp16 scale-only jobs only, its raw records and log stay apart from the bench
binary's, the report compares it with our best, and a missing or failing peer is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from w4a16.bench import command

from .fakes import FAKE_MACHETE, wrapper

ARGS = ["--models", "llama3-8b", "--layers", "qkv", "--m", "1,64", "--no-int4pack"]


@pytest.fixture
def fake_machete(tmp_path: Path) -> Path:
    return wrapper(tmp_path, "w4a16MacheteBench", FAKE_MACHETE)


def test_machete_joins_the_fp16_problems(tmp_path, fake_binary, fake_machete, fake_torch,
                                         capsys):
    out = tmp_path / "out"
    code = command.main(["--binary", str(fake_binary), "--machete-binary", str(fake_machete),
                         "--out", str(out), *ARGS, "--dtypes", "fp16,bf16"])
    assert code == 0
    doc = json.loads((out / "bench.json").read_text())
    by = {(p["dtype"], p["m"]): p for p in doc["problems"]}
    assert [t["tactic"] for t in by["fp16", 1]["peers"]] == [
        "machete_128x16_1x1x1_TmaMI_TmaCoop_streamK",
        "machete_128x64_2x1x1_TmaMI_TmaCoop_streamK", "machete_heuristic"]
    assert by["fp16", 64]["peers"][2]["schedule"] == "128x64_2x1x1_TmaMI_TmaCoop_streamK"
    assert by["fp16", 64]["peers"][0]["median_us"] == pytest.approx(14.0)
    assert "peers" not in by["bf16", 1] and "peers" not in by["bf16", 64]
    # ours never lists Machete's schedules among TensorRT-LLM's tactics
    assert not any(t["tactic"].startswith("machete_") for p in doc["problems"]
                   for t in p["tactics"])
    assert doc["settings"]["machete"] == str(fake_machete)
    assert doc["settings"]["machete_binary"]["sha256"]
    raw = (out / "machete_records.jsonl").read_text().splitlines()
    assert len(raw) == 1 + 2 * (1 + 3)  # device + per M (problem + 3 tactics)
    assert "machete" not in (out / "bench_records.jsonl").read_text()
    assert "[fake machete] M=64 done" in (out / "machete_binary.log").read_text()
    report = (out / "report.md").read_text()
    assert "## vLLM's Machete on the same problems" in report
    # M=1: Machete's best 10.06 us against our best; the ratio is printed per row
    best_ours = by["fp16", 1]["analysis"]["best_us"]
    assert f"{10.0625 / best_ours:.2f}x" in report
    assert "Machete best machete_128x16" in capsys.readouterr().out


def test_a_failed_output_check_is_reported(tmp_path, fake_binary, fake_machete, fake_torch,
                                           monkeypatch):
    monkeypatch.setenv("FAKE_MACHETE_WRONG", "64")
    out = tmp_path / "out"
    assert command.main(["--binary", str(fake_binary), "--machete-binary", str(fake_machete),
                         "--out", str(out), *ARGS, "--dtypes", "fp16"]) == 0
    report = (out / "report.md").read_text()
    assert "machete_128x64_2x1x1_TmaMI_TmaCoop_streamK: wrong max error 9.1x its bound" in report


def test_without_a_peer_nothing_changes(tmp_path, fake_binary, fake_torch):
    out = tmp_path / "out"
    assert command.main(["--binary", str(fake_binary), "--out", str(out), *ARGS,
                         "--dtypes", "fp16"]) == 0
    assert not (out / "machete_records.jsonl").exists()
    assert "Machete" not in (out / "report.md").read_text()
    assert all("peers" not in p for p in json.loads((out / "bench.json").read_text())["problems"])


def test_missing_peer_binary_is_one_line(tmp_path, fake_binary, capsys):
    code = command.main(["--binary", str(fake_binary), "--machete-binary",
                         str(tmp_path / "nope"), "--out", str(tmp_path / "o"), *ARGS])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --machete-binary {tmp_path / 'nope'} does not exist"]


def test_failing_peer_is_the_job_error(tmp_path, fake_binary, fake_machete, fake_torch,
                                       monkeypatch):
    monkeypatch.setenv("FAKE_MACHETE_FAIL", "1")
    out = tmp_path / "out"
    code = command.main(["--binary", str(fake_binary), "--machete-binary", str(fake_machete),
                         "--out", str(out), *ARGS, "--dtypes", "fp16"])
    assert code == 1
    doc = json.loads((out / "bench.json").read_text())
    assert [e["job"] for e in doc["errors"]] == ["llama3-8b/qkv fp16"]
    assert "no usable SM90 GPU" in doc["errors"][0]["message"]
    # our own results of that job are kept
    assert [p["m"] for p in doc["problems"]] == [1, 64]


def test_machete_schedules_choose_what_the_peer_times(tmp_path, fake_binary, fake_machete,
                                                       fake_torch):
    out = tmp_path / "out"
    assert command.main(["--binary", str(fake_binary), "--machete-binary", str(fake_machete),
                         "--machete-schedules", "machete_128x64_2x1x1_TmaMI_TmaCoop_streamK,"
                         "heuristic", "--out", str(out), *ARGS, "--dtypes", "fp16"]) == 0
    doc = json.loads((out / "bench.json").read_text())
    for p in doc["problems"]:
        assert [t["tactic"] for t in p["peers"]] == [
            "machete_128x64_2x1x1_TmaMI_TmaCoop_streamK", "machete_heuristic"]
    assert doc["settings"]["machete_schedules"] == (
        "machete_128x64_2x1x1_TmaMI_TmaCoop_streamK,heuristic")


@pytest.mark.parametrize(("with_peer", "schedules", "message"), [
    (True, "256x16_1x1x1_TmaMI_TmaCoop_streamK",
     "error: Machete schedule '256x16_1x1x1_TmaMI_TmaCoop_streamK' is not compiled in"),
    (False, "heuristic",
     "error: --machete-schedules needs a Machete peer: --machete-binary or --machete-dir"),
    (True, ",", "error: Machete schedules ',' name no schedule"),
])
def test_bad_machete_schedules_are_one_line_before_any_timing(tmp_path, fake_binary,
                                                              fake_machete, capsys, with_peer,
                                                              schedules, message):
    peer = ["--machete-binary", str(fake_machete)] if with_peer else []
    out = tmp_path / "o"
    code = command.main(["--binary", str(fake_binary), *peer, "--machete-schedules", schedules,
                         "--out", str(out), *ARGS])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message)
    assert not (out / "bench_records.jsonl").exists()
