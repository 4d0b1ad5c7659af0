"""`w4a16 try`: the table, the JSON, TensorRT-LLM's default (the GEMV rule included) and the
refusals, with stand-ins for the test binary's case mode and the bench binary (no GPU)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from w4a16 import cli, gpu
from w4a16.bench import try_cmd

from .fake_bench_binary import GEMV, TACTICS
from .fakes import FAKE_BENCH, FAKE_CASE, wrapper

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="the reference check needs torch")


@pytest.fixture
def binaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Both fake binaries on the command line, and an SM90 GPU as far as `try` can tell."""
    monkeypatch.setattr(gpu, "sm90_reason", lambda: "")
    for knob in ("FAKE_BENCH_GEMV", "FAKE_CASE_WRONG", "FAKE_CASE_ERROR", "FAKE_CASE_NONE"):
        monkeypatch.delenv(knob, raising=False)
    test = wrapper(tmp_path, "w4a16SM90SimpleTest", FAKE_CASE)
    wrapper(tmp_path, "w4a16SM90Tool", FAKE_CASE)  # the case mode runs in the tool beside it
    bench = wrapper(tmp_path, "w4a16SM90Bench", FAKE_BENCH)
    return ["--binary", str(test), "--bench-binary", str(bench)]


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = cli.main(["try", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


@needs_torch
def test_table_shows_time_error_verdict_and_default(binaries, capsys):
    code = cli.main(["try", "64", "256", "512", "--seed", "11", *binaries])
    assert code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == ("w4a16 try: M=64 N=256 K=512 fp16 group 128 scale_only seed 11 on "
                        "Fake H100 (case mode)")
    header = next(i for i, line in enumerate(lines) if line.startswith("cfg"))
    assert lines[header].split() == ["cfg", "tactic", "time", "us", "vs", "best", "rel", "err",
                                     "bound", "elem/bound", "check"]
    rows = [line.split() for line in lines[header + 1:header + 3]]
    # M=64: config 0 takes 18 us, config 2 takes 14 us; config 1 is not compiled (no row).
    assert rows[0][:4] == ["0", TACTICS[0], "18.00", "1.29x"] and rows[0][-2:] == [
        "pass", "default"]
    assert rows[1][:4] == ["2", TACTICS[2], "14.00", "1.00x"] and rows[1][-2:] == ["pass", "best"]
    assert lines[header + 3] == ""
    # aligned: times right-aligned under their header, verdicts left-aligned under theirs
    head, first, second = lines[header:header + 3]
    assert head.index("time us") + 7 == first.index("18.00") + 5 == second.index("14.00") + 5
    assert head.index("check") == first.index("pass") == second.index("pass")
    assert (f"TensorRT-LLM's default: {TACTICS[0]} (18.00 us), 29% slower than the best "
            f"{TACTICS[2]} (14.00 us)") in out
    # The fake binary's stream floor at M=64: 4 + 64/16 = 8 us, the best 14 us.
    assert ("stream floor (this problem's bytes moved with no arithmetic): 8.00 us; the best "
            "tactic takes 1.75x that") in out
    assert "2 of 2 compiled tactics pass the error model; 1 not compiled" in out
    assert "same inputs again: --seed 11" in out


@needs_torch
def test_json_has_every_tactic_and_the_settings(binaries, capsys):
    code, doc = run_json(capsys, "3", "64", "256", "--dtype", "bf16", "--group", "64",
                         "--quant-op", "scale_zeros", "--seed", "5", *binaries)
    assert code == 0
    assert doc["problem"] == {"m": 3, "n": 64, "k": 256, "group": 64, "dtype": "bf16",
                              "quant_op": "scale_zeros", "seed": 5}
    assert [t["tactic"] for t in doc["tactics"]] == list(TACTICS)
    ok, absent, fast = doc["tactics"]
    assert ok["check"] == "pass" and ok["rel_error"] < ok["rel_bound"]
    assert ok["max_violation"] <= 1 and ok["nan_count"] == 0 and ok["median_us"] == 10.375
    assert absent["check"] == "not compiled" and absent["median_us"] is None
    assert absent["time_status"] == "not_compiled"
    # No GEMV in these binaries: config 0 is the default even at M < 5.
    assert doc["default_tactic"] == TACTICS[0] == doc["bench_default_tactic"]
    assert doc["best_tactic"] == TACTICS[0] and doc["failed"] == []
    assert (doc["compiled"], doc["passed"]) == (2, 2)
    assert doc["stream_us"] == 4.0 + 3 / 16


@needs_torch
@pytest.mark.parametrize("m, default, gemv_row", [
    (1, GEMV, "pass"), (4, GEMV, "pass"),
    (5, TACTICS[0], "pass"),  # the GEMV runs and is fastest, but TensorRT-LLM stops at M=4
    (15, TACTICS[0], "pass"),
    (16, TACTICS[0], "not compiled"),  # beyond the GEMV's M range: no row in the table
])
def test_default_is_the_gemv_below_m5_where_the_binaries_have_it(binaries, capsys,
                                                                  monkeypatch, m, default,
                                                                  gemv_row):
    monkeypatch.setenv("FAKE_BENCH_GEMV", "1")
    code, doc = run_json(capsys, str(m), "128", "256", "--seed", "1", *binaries)
    assert code == 0
    rows = {t["tactic"]: t for t in doc["tactics"]}
    assert rows[GEMV]["check"] == gemv_row
    assert doc["default_tactic"] == default == doc["bench_default_tactic"]
    assert [t["tactic"] for t in doc["tactics"] if t["default"]] == [default]
    if gemv_row == "pass":
        # judged by the GEMV's own error model (chains), which allows more than fp32's
        assert rows[GEMV]["rel_bound"] > rows[TACTICS[0]]["rel_bound"]
        assert doc["best_tactic"] == GEMV
    code = cli.main(["try", str(m), "128", "256", "--seed", "1", *binaries])
    table = capsys.readouterr().out
    assert (GEMV in table) == (gemv_row == "pass")
    assert f"TensorRT-LLM's default: {default} " in table


@needs_torch
def test_a_wrong_or_failing_tactic_fails_the_run(binaries, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_CASE_WRONG", TACTICS[2])
    monkeypatch.setenv("FAKE_CASE_ERROR", TACTICS[0])
    code, doc = run_json(capsys, "8", "64", "128", *binaries)
    assert code == 1
    rows = {t["tactic"]: t for t in doc["tactics"]}
    assert rows[TACTICS[2]]["check"] == "fail" and rows[TACTICS[2]]["max_violation"] > 1
    assert rows[TACTICS[0]]["check"] == "error"
    assert rows[TACTICS[0]]["message"] == "planted launch failure"
    assert doc["failed"] == [TACTICS[0], TACTICS[2]] and doc["passed"] == 0
    code = cli.main(["try", "8", "64", "128", *binaries])
    assert code == 1
    assert f"0 of 2 compiled tactics pass the error model; failed: {TACTICS[0]}, " \
        f"{TACTICS[2]}" in capsys.readouterr().out


@needs_torch
def test_a_binary_that_runs_no_tactic_is_an_error_not_a_pass(binaries, capsys, monkeypatch):
    monkeypatch.setenv("FAKE_CASE_NONE", "1")
    assert cli.main(["try", "1", "64", "128", *binaries]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("error: no tactic of the test binary runs this problem (first: not "
                            "compiled in this build)\n")


@pytest.mark.parametrize("argv, message", [
    (("16", "4096", "4000"), "K=4000 is not a positive multiple of the group size 128"),
    (("16", "4100", "4096"), "N=4100 is not a positive multiple of 8"),
    (("16", "4096", "4096", "--group", "96"),
     "--group 96 is not a positive multiple of 64 (the kernel's K tile)"),
])
def test_bad_shapes_are_one_line_errors(binaries, capsys, argv, message):
    assert cli.main(["try", *argv, *binaries]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"


def test_nonpositive_dimensions_are_refused_by_argparse(capsys):
    with pytest.raises(SystemExit):
        cli.main(["try", "0", "4096", "4096"])
    assert "must be positive" in capsys.readouterr().err


def test_missing_binary_is_one_line(binaries, tmp_path, capsys):
    argv = ["try", "1", "64", "128", *binaries]
    argv[argv.index("--bench-binary") + 1] = str(tmp_path / "nope")
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "nope not found" in err and "--bench-binary" in err


def test_no_sm90_gpu_is_one_line(binaries, capsys, monkeypatch):
    monkeypatch.setattr(gpu, "sm90_reason", lambda: "GPU 0 is Tesla T4 (compute capability "
                        "7.5); the kernels need SM90 (9.0)")
    assert cli.main(["try", "1", "64", "128", *binaries]) == 2
    err = capsys.readouterr().err
    assert err == ("error: w4a16 try needs an SM90 GPU: GPU 0 is Tesla T4 (compute capability "
                   "7.5); the kernels need SM90 (9.0)\n")


def test_help_explains_every_flag(capsys):
    with pytest.raises(SystemExit):
        try_cmd.main(["--help"])
    text = capsys.readouterr().out
    for flag in ("M", "N", "K", "--dtype", "--group", "--quant-op", "--binary",
                 "--bench-binary", "--seed", "--budget-ms", "--json"):
        assert flag in text, flag
    assert "try" in cli.make_parser().format_help()
