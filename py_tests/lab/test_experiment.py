"""The variant/knob experiment driver (w4a16.lab.experiment) and the profile parsers,
on the CPU: plans, the fake bench binary, and canned tool output."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest
from bench.fakes import FAKE_BENCH as FAKE
from w4a16.cli import make_parser
from w4a16.errors import UserError
from w4a16.lab import experiment, profile


def _fake_tool(folder: Path, monkeypatch: pytest.MonkeyPatch, name: str, output: str) -> None:
    """A program `name` first on PATH that prints `output` (ncu, cuobjdump stand-ins)."""
    fake = folder / name
    fake.write_text(f"#!{sys.executable}\nprint({output!r})\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def _plan(tmp_path: Path, **over: object) -> Path:
    wrapper = tmp_path / "bench"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    wrapper.chmod(0o755)
    doc = {"binaries": {"a": str(wrapper), "b": str(wrapper)}, "shapes": ["llama3-8b/o"],
           "m": [1, 16], "plan": {"budget_ms": 1},
           "variants": [{"name": "base", "binary": "a"},
                        {"name": "knob", "binary": "b", "env": {"W4A16_X_SPLITS": "2"},
                         "m": [16]}]}
    doc.update(over)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    return path


def test_plan_is_checked(tmp_path: Path) -> None:
    exp = experiment.load_plan(_plan(tmp_path), Path("/"))
    assert [v.name for v in exp.variants] == ["base", "knob"]
    assert exp.variants[1].ms == (16,) and exp.variants[1].env == {"W4A16_X_SPLITS": "2"}
    bad_env = [{"name": "x", "binary": "a", "env": {"PATH": "/"}}]
    with pytest.raises(UserError, match="only W4A16_X_"):
        experiment.load_plan(_plan(tmp_path, variants=bad_env), Path("/"))
    with pytest.raises(UserError, match="names binary"):
        experiment.load_plan(_plan(tmp_path, variants=[{"name": "x", "binary": "zz"}]),
                             Path("/"))
    with pytest.raises(UserError, match="unknown shapes"):
        experiment.load_plan(_plan(tmp_path, shapes=["gpt/x"]), Path("/"))
    typo = [{"name": "x", "binary": "a", "tactics": "tile64x16x64_cluster1x1x1_coop"}]
    with pytest.raises(UserError, match="runs the pingpong kernel"):
        experiment.load_plan(_plan(tmp_path, variants=typo), Path("/"))


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("plan", sorted((REPO / "reports/h200/decode/plans").glob("plan_*.json")),
                         ids=lambda p: p.name)
def test_committed_plans_load(plan: Path) -> None:
    """The committed plans must not fail on a GPU machine for a typo."""
    exp = experiment.load_plan(plan, REPO)
    assert exp.variants and exp.shapes
    for v in exp.variants:
        assert v.binary.is_relative_to(REPO / "build"), v.binary
    # Each recipe must be taken by `w4a16 build` as it stands, and name patches that exist:
    # on a fresh checkout the GPU call builds from these.
    for name, (folder, argv) in experiment.load_build_recipes(plan, REPO).items():
        args = make_parser().parse_args(["build", "--build-dir", str(folder), *argv])
        for patch in args.experiment_patch or []:
            assert (REPO / patch).is_file(), (name, patch)


def test_build_recipes_are_checked(tmp_path: Path) -> None:
    """A recipe builds its binary into the binary's own folder; the plan may not choose the
    folder, the job count or offline mode (the caller does), nor name a binary it lacks."""
    good = _plan(tmp_path, builds={"a": ["--tiles", "64x16", "--keep-asserts"]})
    assert experiment.load_build_recipes(good, Path("/r")) == {
        "a": (tmp_path, ["--tiles", "64x16", "--keep-asserts"])}
    assert experiment.load_build_recipes(_plan(tmp_path), Path("/r")) == {}
    with pytest.raises(UserError, match="'zz' is not one of its binaries"):
        experiment.load_build_recipes(_plan(tmp_path, builds={"zz": []}), Path("/"))
    with pytest.raises(UserError, match="which the caller chooses"):
        experiment.load_build_recipes(_plan(tmp_path, builds={"a": ["--build-dir=/x"]}),
                                      Path("/"))
    with pytest.raises(UserError, match="must be a list of strings"):
        experiment.load_build_recipes(_plan(tmp_path, builds={"a": "--tiles 64x16"}), Path("/"))


def test_table_compares_each_variant_with_the_first() -> None:
    exp = experiment.Experiment([experiment.Variant("base", Path("a")),
                                 experiment.Variant("knob", Path("b"))],
                                experiment.shapes.shapes(["llama3-8b"], ["o"]), (16,), "fp16",
                                experiment.Sampling())
    records = [
        {"label": "llama3-8b/o", "m": 16, "variant": "base", "status": "ok", "tactic": "t1",
         "median_us": 20.0},
        {"label": "llama3-8b/o", "m": 16, "variant": "base", "status": "ok", "tactic": "t2",
         "median_us": 30.0},
        {"label": "llama3-8b/o", "m": 16, "variant": "knob", "status": "ok", "tactic": "t1",
         "median_us": 10.0},
        {"label": "llama3-8b/o", "m": 16, "variant": "knob", "status": "error", "tactic": "t2"},
    ]
    best = experiment.best_by_problem(records)
    assert best[("llama3-8b/o", 16, "base")]["tactic"] == "t1"
    text = experiment.table(exp, best)
    assert "20.0us" in text and "10.0(2.00x)" in text


def test_ncu_csv_is_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv_text = "\n".join([
        '{"record": "device"}',
        '"ID","Kernel Name","gpu__time_duration.sum","launch__grid_size",'
        '"smsp__average_warp_latency_issue_stalled_long_scoreboard_per_issue_active.ratio"',
        '"","","nsecond","",""',
        '"0","cutlass::device_kernel<X>","25,600","132","3.5"',
    ])
    _fake_tool(tmp_path, monkeypatch, "ncu", csv_text)
    out = profile.ncu_one(Path("bench"), 8192, 8192, 16, "t", tmp_path / "raw.csv")
    assert out["gpu__time_duration.sum"] == 25600.0
    assert out["launch__grid_size"] == 132.0
    assert out["stall_long_scoreboard"] == 3.5
    assert out["units"]["gpu__time_duration.sum"] == "nsecond"


def test_profile_refuses_bad_tactics_and_token_counts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "bench"
    bench.write_text("")
    common = ["--binary", f"b={bench}", "--out", str(tmp_path / "out"), "--no-sass"]
    assert profile.main([*common, "--tactics", "tile64x16x64_cluster1x1x1_cop"]) != 0
    assert "not a tactic name" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        profile.main([*common, "--m", "1,0"])


def test_kernel_fields_read_schedule_tile_n_and_stages() -> None:
    name = ("_ZN7cutlass13device_kernelINS_4gemm6kernel13GemmUniversalIN4cute5tupleIJiiiiEEENS1_"
            "10collective24CollectiveMmaInterleavedINS1_49MainloopSm90TmaGmmaRmemAWarpSpecialized"
            "MixedInputILi35ENS5_IJNS4_1CILi1EEESB_SB_EEENS1_35KernelTmaWarpSpecialized"
            "CooperativeEEENS5_IJNSA_ILi128EEENSA_ILi16EEENSA_ILi64EEEEEENS4_8TiledMMAINS4_"
            "8MMA_AtomIJNS4_4SM904GMMA25MMA_64x16x16_F32F16F16_RSILNSS_5MajorE0EEE")
    assert profile.kernel_fields(name) == "coop n=16 stages=35"
    assert profile.kernel_fields("nothing") == "? n=? stages=?"


def test_run_tags_records_and_passes_knobs(tmp_path: Path) -> None:
    exp = experiment.load_plan(_plan(tmp_path), Path("/"))
    records = experiment.time_variants(exp, tmp_path / "out")
    variants = {(r["variant"], r["m"]) for r in records}
    assert variants == {("base", 1), ("base", 16), ("knob", 16)}
    log = (tmp_path / "out" / "binary.log").read_text()
    assert "W4A16_X_SPLITS=2 " in log
    assert sum(1 for _ in (tmp_path / "out" / "records.jsonl").open()) == len(records)


def test_run_goes_shape_by_shape(tmp_path: Path) -> None:
    """Every variant of a shape before the next shape: a cut-off run keeps comparable rows."""
    exp = experiment.load_plan(_plan(tmp_path, shapes=["llama3-8b/o", "llama3-8b/qkv"]),
                               Path("/"))
    records = experiment.time_variants(exp, tmp_path / "out")
    order = list(dict.fromkeys((r["label"], r["variant"]) for r in records))
    assert order == [("llama3-8b/o", "base"), ("llama3-8b/o", "knob"),
                     ("llama3-8b/qkv", "base"), ("llama3-8b/qkv", "knob")]


def test_main_writes_summary_table_and_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    assert experiment.main(["--plan", str(_plan(tmp_path)), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert {(b["variant"], b["m"]) for b in summary["best"]} == {("base", 1), ("base", 16),
                                                                  ("knob", 16)}
    assert "knob" in (out / "table.txt").read_text()
    wrapper = tmp_path / "bench"  # both binaries of _plan
    assert summary["binaries"] == {str(wrapper): {
        "path": str(wrapper), "bytes": wrapper.stat().st_size,
        "sha256": hashlib.sha256(wrapper.read_bytes()).hexdigest()}}
    assert (out / "variants.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_from_records_rebuilds_a_cut_off_run(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    """A run killed at its time limit leaves records.jsonl (flushed per record, the last line
    maybe half written) and binaries.json; --from-records makes the tables from them alone."""
    pytest.importorskip("matplotlib")
    plan, out = _plan(tmp_path), tmp_path / "out"
    assert experiment.main(["--plan", str(plan), "--out", str(out)]) == 0
    full_table = (out / "table.txt").read_text()
    lines = (out / "records.jsonl").read_text().splitlines()
    knob = [ln for ln in lines if json.loads(ln)["variant"] == "knob"]
    kept = [ln for ln in lines if json.loads(ln)["variant"] == "base"]
    (out / "records.jsonl").write_text("\n".join(kept + [knob[0][:20]]) + "\n")
    for name in ("summary.json", "table.txt", "variants.png"):
        (out / name).unlink()
    capsys.readouterr()
    assert experiment.main(["--plan", str(plan), "--out", str(out), "--from-records"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["jobs_without_records"] == ["knob llama3-8b/o"]
    assert {b["variant"] for b in summary["best"]} == {"base"}
    assert summary["binaries"] == json.loads((out / "binaries.json").read_text())
    table = (out / "table.txt").read_text()
    assert table != full_table and table.splitlines()[2] == full_table.splitlines()[2]
    assert table.splitlines()[3].rstrip().endswith("-")  # M=16: base timed, knob not
    assert (out / "variants.png").is_file()
    assert capsys.readouterr().out.strip() == table.strip()


def test_from_records_refuses_missing_or_corrupt_records(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    plan, out = _plan(tmp_path), tmp_path / "out"
    assert experiment.main(["--plan", str(plan), "--out", str(out), "--from-records"]) == 2
    assert "records.jsonl does not exist" in capsys.readouterr().err
    out.mkdir()
    (out / "records.jsonl").write_text('{"variant": "base"\n{}\n')
    assert experiment.main(["--plan", str(plan), "--out", str(out), "--from-records"]) == 2
    assert "records.jsonl:1 is not a JSON record" in capsys.readouterr().err


def test_target_table_states_speedup_and_floor_fraction() -> None:
    exp = experiment.Experiment([experiment.Variant("base", Path("a"))],
                                experiment.shapes.shapes(["llama2-70b"], ["o"]), (16,), "fp16",
                                experiment.Sampling(), True)
    best = {("llama2-70b/o", 16, "base"): {"median_us": 20.0, "tactic": "t"}}
    base = {"machine": {"copy_bandwidth_bytes_per_s": 3.0e12,
                        "matmul_flops_per_s": {"fp16": 8.0e14}},
            "cublas": [{"label": "llama2-70b/o", "m": 16, "median_us": 50.0}]}
    text = experiment.target_table(exp, best, base)
    # int4 weights, one fp16 scale per 128 weights, fp16 activations in and outputs out
    n = k = 8192
    floor_us = (n * k // 2 + n * k // 128 * 2 + 16 * k * 2 + 16 * n * 2) / 3.0e12 * 1e6
    row = next(line for line in text.splitlines() if line.startswith("llama2-70b/o"))
    assert f"{floor_us:.1f}" in row and "50.0" in row
    assert "2.50x" in row and f"{floor_us / 20.0:.0%}" in row


def test_sass_counts_find_waits_calls_and_accumulator_chains(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sass = "\n".join([
        "\tFunction : _ZN7cutlass13device_kernelIN5dummyEEEvT_",
        "        /*0010*/                   WARPGROUP.ARRIVE ;",
        "        /*0020*/         HGMMA.64x16x16.F32 R24, R32, gdesc[UR8], RZ, !UPT, gsb0 ;",
        "        /*0030*/                   HGMMA.64x16x16.F32 R40, R36, gdesc[UR8], R40, gsb0 ;",
        "        /*0040*/                   WARPGROUP.DEPBAR.LE gsb0, 0x2 ;",
        "        /*0050*/                   CALL.ABS.NOINC R14 ;",
        "        /*0060*/              @P0   LDL.64 R2, [R1] ;",
        "\tFunction : _Z6helperv",
        "        /*0010*/                   HGMMA.64x16x16.F32 R8, R32, gdesc[UR8], RZ, gsb0 ;",
    ])
    _fake_tool(tmp_path, monkeypatch, "cuobjdump", sass)
    (kernel,) = profile.sass_counts(Path("bench"))  # the non-kernel function is dropped
    assert kernel["accumulators"] == ["R24", "R40"]
    ops = kernel["ops"]
    assert ops["HGMMA"] == 2 and ops["WARPGROUP.DEPBAR"] == 1 and ops["CALL"] == 1
    assert ops["LDL"] == 1 and ops["total"] == 6


def test_sass_counts_measure_the_innermost_loop_that_issues_hgmma(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The k-tile loop is the innermost backward branch around HGMMA: not the peeled first
    k-tile before it, not the persistent tile loop around both, not a loop without HGMMA."""
    sass = "\n".join([
        "\tFunction : _ZN7cutlass13device_kernelIN5dummyEEEvT_",
        "        /*0010*/                   MOV R1, c[0x0][0x28] ;",
        "        /*0020*/                   LDS R2, [R3] ;",                  # tile loop starts
        "        /*0030*/                   HGMMA.64x16x16.F32 R24, R32, gdesc[UR8], RZ, gsb0 ;",
        "        /*0040*/                   LDS R4, [R3+0x100] ;",            # k-tile loop starts
        "        /*0050*/                   LDS.U16 R5, [R3+0x200] ;",
        "        /*0058*/                   LDSM.16.M88.4 R8, [R3+0x300] ;",
        "        /*0060*/                   HGMMA.64x16x16.F32 R24, R36, gdesc[UR8], R24, gsb0 ;",
        "        /*0070*/                   WARPGROUP.DEPBAR.LE gsb0, 0x1 ;",
        "        /*0080*/              @P1   BRA 0x40 ;",
        "        /*0090*/                   IADD3 R6, R6, 0x1, RZ ;",         # loop without HGMMA
        "        /*00a0*/              @P2   BRA 0x90 ;",
        "        /*00b0*/              @!P0  BRA `(.L_x_1) 0x20 ;",
        "        /*00c0*/                   EXIT ;",
        "\tFunction : _ZN7cutlass13device_kernelIN6noloopEEEvT_",
        "        /*0010*/                   HGMMA.64x16x16.F32 R24, R32, gdesc[UR8], RZ, gsb0 ;",
        "        /*0020*/                   EXIT ;",
    ])
    _fake_tool(tmp_path, monkeypatch, "cuobjdump", sass)
    looped, straight = profile.sass_counts(Path("bench"))
    assert looped["ktile_loop"] == {
        "instructions": 6, "hgmma": 1, "lds": 2, "ldsm": 1,
        "opcodes": {"LDS": 2, "LDSM": 1, "HGMMA": 1, "WARPGROUP": 1, "BRA": 1}}
    assert straight["ktile_loop"] is None


def test_failed_tactics_mark_the_variant_instead_of_passing_as_a_win() -> None:
    """A candidate whose fast tactics wrote NaN must not read as a speed-up (the deep-K
    decode candidate did exactly that: its fastest 'ok' tactic sat beside broken ones)."""
    exp = experiment.Experiment([experiment.Variant("base", Path("a")),
                                 experiment.Variant("cand", Path("b"))],
                                experiment.shapes.shapes(["llama3-8b"], ["o"]), (1, 16), "fp16",
                                experiment.Sampling())
    records = [
        {"label": "llama3-8b/o", "m": m, "variant": "base", "status": "ok", "tactic": "t1",
         "median_us": 20.0} for m in (1, 16)
    ] + [
        {"label": "llama3-8b/o", "m": 1, "variant": "cand", "status": "ok", "tactic": "t1",
         "median_us": 10.0},
        {"label": "llama3-8b/o", "m": 1, "variant": "cand", "status": "nonfinite",
         "tactic": "t2", "message": "63 of 4096 outputs are NaN/Inf or unwritten"},
        {"label": "llama3-8b/o", "m": 16, "variant": "cand", "status": "ok", "tactic": "t1",
         "median_us": 10.0},
        {"label": "llama3-8b/o", "m": 16, "variant": "cand", "status": "not_compiled",
         "tactic": "t3"},
    ]
    failed = experiment.failures_by_problem(records)
    assert list(failed) == [("llama3-8b/o", 1, "cand")]
    assert "t2: nonfinite 63 of 4096" in failed[("llama3-8b/o", 1, "cand")][0]
    lines = experiment.table(exp, experiment.best_by_problem(records), failed).splitlines()
    assert "FAILED" in lines[0]
    row1 = next(ln for ln in lines if ln.startswith("llama3-8b/o") and ln.split()[1] == "1")
    row16 = next(ln for ln in lines if ln.startswith("llama3-8b/o") and ln.split()[1] == "16")
    assert row1.endswith("(2.00x)!") and row16.endswith("(2.00x)")


def test_failures_reach_summary_json(tmp_path: Path) -> None:
    exp = experiment.Experiment([experiment.Variant("base", Path("a"))],
                                experiment.shapes.shapes(["llama3-8b"], ["o"]), (1,), "fp16",
                                experiment.Sampling())
    records = [{"label": "llama3-8b/o", "m": 1, "variant": "base", "status": "error",
                "tactic": "t1", "message": "launch failed"}]
    text = experiment.write_outputs(exp, records, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["failures"] == [{"label": "llama3-8b/o", "m": 1, "variant": "base",
                                    "tactics": ["t1: error launch failed"]}]
    assert summary["best"] == [] and "FAILED" in text


# ncu 2025.3's raw page as ncu_one stores it: the command line, ncu's own notes and the
# bench's JSON lines come first; DRAM throughput is `gpu__dram_throughput`, and a units row
# follows the header.
NCU_RAW = "\n".join([
    "$ ncu --csv --page raw bench --m 16",
    '==WARNING== Note: Running with unmodified GPU clocks.',
    '{"record": "device", "name": "NVIDIA H200"}',
    '"ID","Kernel Name","gpu__time_duration.sum",'
    '"gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed","dram__bytes_read.sum",'
    '"smsp__average_warps_issue_stalled_wait_per_issue_active.ratio","not_kept.sum"',
    '"","","ns","%","byte","inst",""',
    '"0","void device_kernel<X>(Params)","28,128","26.69","33,816,576","0.85","7"',
    "--- stderr",
])


def test_ncu_raw_page_of_current_ncu_is_parsed() -> None:
    out = profile.parse_ncu_csv(NCU_RAW, "t M=16")
    assert out["gpu__time_duration.sum"] == 28128.0
    assert out["gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed"] == 26.69
    assert out["dram__bytes_read.sum"] == 33816576.0
    assert out["stall_wait"] == 0.85
    assert "not_kept.sum" not in out
    assert out["units"]["dram__bytes_read.sum"] == "byte"


def test_ncu_json_is_rebuilt_from_the_raw_csvs(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    name = "ncu_base_m16_tile64x16x64_cluster1x1x1_pingpong.csv"
    (tmp_path / name).write_text(NCU_RAW)
    (tmp_path / "unrelated.csv").write_text("x")
    assert profile.main(["--out", str(tmp_path), "--from-csv"]) == 0
    rows = json.loads((tmp_path / "ncu.json").read_text())
    assert [(r["binary"], r["m"], r["tactic"]) for r in rows] == [
        ("base", 16, "tile64x16x64_cluster1x1x1_pingpong")]
    assert "dram  26.7%" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert profile.main(["--out", str(empty), "--from-csv"]) == 2
    assert profile.main(["--out", str(empty), "--tactics", "x"]) == 2  # no --binary, no CSVs
    assert "--binary NAME=PATH is needed" in capsys.readouterr().err


def test_passes_are_checked(tmp_path: Path) -> None:
    assert experiment.load_plan(_plan(tmp_path), Path("/")).passes == 1
    assert experiment.load_plan(_plan(tmp_path, passes=3), Path("/")).passes == 3
    for bad in (0, 11, "2", True, 1.5):
        with pytest.raises(UserError, match="passes must be a whole number from 1 to 10"):
            experiment.load_plan(_plan(tmp_path, passes=bad), Path("/"))


def test_passes_alternate_the_order_of_the_variants_shape_by_shape(tmp_path: Path) -> None:
    """Pass 1 times the variants in the plan's order, pass 2 in reverse, before the next
    shape; every record says its pass."""
    exp = experiment.load_plan(_plan(tmp_path, shapes=["llama3-8b/o", "llama3-8b/qkv"],
                                     passes=2), Path("/"))
    records = experiment.time_variants(exp, tmp_path / "out")
    order = list(dict.fromkeys((r["label"], r["pass"], r["variant"]) for r in records))
    assert order == [("llama3-8b/o", 1, "base"), ("llama3-8b/o", 1, "knob"),
                     ("llama3-8b/o", 2, "knob"), ("llama3-8b/o", 2, "base"),
                     ("llama3-8b/qkv", 1, "base"), ("llama3-8b/qkv", 1, "knob"),
                     ("llama3-8b/qkv", 2, "knob"), ("llama3-8b/qkv", 2, "base")]


def _timed(variant: str, tactic: str, us: float, pass_no: int) -> dict:
    return {"label": "llama3-8b/o", "m": 16, "variant": variant, "status": "ok",
            "tactic": tactic, "median_us": us, "pass": pass_no}


def test_a_tactic_timed_in_several_passes_counts_with_the_mean_of_its_medians() -> None:
    # t1 wins pass 1 and loses pass 2; over both its mean (21) beats t2's (22).
    records = [_timed("base", "t1", 20.0, 1), _timed("base", "t2", 24.0, 1),
               _timed("base", "t1", 22.0, 2), _timed("base", "t2", 20.0, 2)]
    best = experiment.best_by_problem(records)[("llama3-8b/o", 16, "base")]
    assert (best["tactic"], best["median_us"], best["pass_us"]) == ("t1", 21.0, [20.0, 22.0])
    second = experiment.best_by_problem(records, 2)[("llama3-8b/o", 16, "base")]
    assert (second["tactic"], second["median_us"]) == ("t2", 20.0)
    # Records of a run without passes are pass 1.
    plain = [{k: v for k, v in r.items() if k != "pass"} for r in records[:2]]
    assert experiment.best_by_problem(plain, 1)[("llama3-8b/o", 16, "base")]["tactic"] == "t1"


def test_pass_table_shows_how_far_a_comparison_moves_between_passes() -> None:
    exp = experiment.Experiment([experiment.Variant("base", Path("a")),
                                 experiment.Variant("knob", Path("b"))],
                                experiment.shapes.shapes(["llama3-8b"], ["o"]), (16,), "fp16",
                                experiment.Sampling(), passes=2)
    records = [_timed("base", "t1", 20.0, 1), _timed("knob", "t1", 10.0, 1),
               _timed("knob", "t1", 25.0, 2), _timed("base", "t1", 20.0, 2)]
    text = experiment.pass_table(exp, records)
    assert "2.000 / 0.800" in text
    # Over both passes knob's mean is 17.5 us against base's 20.
    assert "17.5(1.14x)" in experiment.table(exp, experiment.best_by_problem(records))


def test_summary_and_table_of_a_run_in_passes(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    assert experiment.main(["--plan", str(_plan(tmp_path, passes=2)), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passes"] == 2
    assert all(len(b["pass_us"]) == 2 for b in summary["best"])
    for b in summary["best"]:
        assert b["median_us"] == pytest.approx(sum(b["pass_us"]) / 2)
    assert "pass by pass" in (out / "table.txt").read_text()
