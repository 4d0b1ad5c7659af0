"""ci/h100.py, the script every GPU call runs, exercised on the CPU with stand-in binaries:
what it records before the steps, and how it keeps a call inside its time limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from w4a16 import fingerprint, paths

H100 = paths.REPO_ROOT / "ci" / "h100.py"
FAKE_BENCH = paths.REPO_ROOT / "py_tests" / "bench" / "fake_bench_binary.py"


def _h100(out: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(H100), str(out), *args], capture_output=True,
                          text=True, timeout=timeout)


def _stand_in_test_binary(folder: Path) -> Path:
    """A w4a16SM90SimpleTest, and the w4a16SM90Tool beside it, that only echo their arguments
    (enough for the repro step, which runs the tool); returns the test binary."""
    for name in (paths.TOOL_TARGET, paths.TARGET):
        fake = folder / name
        fake.write_text(f"#!/bin/sh\necho stand-in {name} \"$@\"\n")
        fake.chmod(0o755)
    return fake


def test_gpu_steps_record_the_hashes_of_what_they_run(tmp_path: Path) -> None:
    """The test binary and the plan's binaries are hashed before any step, and that command
    is listed in COMMANDS.md like every other step (run with the repro step, which needs no
    GPU to start)."""
    fake = _stand_in_test_binary(tmp_path)
    bench = tmp_path / "bench"
    bench.write_bytes(os.urandom(64))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"binaries": {"base": str(bench), "gone": str(tmp_path / "x")}}))
    out = tmp_path / "out"
    proc = _h100(out, "repro", "--binary", str(fake), "--plan", str(plan))
    assert proc.returncode == 0, proc.stderr
    got = json.loads((out / "binaries.json").read_text())
    assert got["test"]["sha256"] == fingerprint.sha256_file(fake)
    assert got["base"]["sha256"] == fingerprint.sha256_file(bench)
    assert got["gone"]["missing"] is True
    commands = (out / "COMMANDS.md").read_text().splitlines()
    assert commands[0].startswith("- `fingerprint.log` (exit 0,")
    assert f"stand-in {paths.TOOL_TARGET} --w4a16_workspace_repro=16777216" in (
        out / "workspace_repro_plain.log").read_text()


def test_archive_leaves_one_file_holding_every_output(tmp_path: Path) -> None:
    """The device machine returns at most 8 files: with --archive the call leaves OUT.tar.gz
    alone, holding every log and record under OUT's name, and still prints its summary last."""
    fake = _stand_in_test_binary(tmp_path)
    out = tmp_path / "calls" / "variants"
    proc = _h100(out, "repro", "--binary", str(fake), "--archive")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.parent.iterdir()] == ["variants.tar.gz"]
    with tarfile.open(out.parent / "variants.tar.gz") as tar:
        names = set(tar.getnames())
        plain = tar.extractfile("variants/workspace_repro_plain.log")
        assert plain is not None and (f"stand-in {paths.TOOL_TARGET} --w4a16_workspace_repro="
                                      ).encode() in plain.read()
    assert {"variants/COMMANDS.md", "variants/binaries.json", "variants/summary.txt",
            "variants/workspace_repro_memcheck_wrapper.log"} <= names
    tail = proc.stdout.rstrip().splitlines()
    assert tail[-2].startswith("[h100] summary: fingerprint=0, repro-plain=0")
    assert tail[-1].startswith("[h100] every output is in variants.tar.gz (")


def test_a_step_that_outlasts_the_budget_is_cut_and_its_records_kept(tmp_path: Path) -> None:
    """The experiment's second job hangs: the step is killed with its child at the budget
    (less the reserve), the tables are rebuilt from the first job's records, and a step
    after that finds no time left and is not started."""
    marker, pid_file = tmp_path / "first-done", tmp_path / "hung.pid"
    bench = tmp_path / "bench"
    bench.write_text(f'#!/bin/sh\nif [ -e "{marker}" ]; then echo $$ > "{pid_file}"; '
                     f'exec sleep 300; fi\ntouch "{marker}"\n'
                     f'exec "{sys.executable}" "{FAKE_BENCH}" "$@"\n')
    bench.chmod(0o755)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "binaries": {"a": str(bench)}, "shapes": ["llama3-8b/o"], "m": [1, 16],
        "plan": {"budget_ms": 1},
        "variants": [{"name": "base", "binary": "a"}, {"name": "knob", "binary": "a"}]}))
    out = tmp_path / "out"
    start = time.monotonic()
    proc = _h100(out, "experiment", "repro", "--plan", str(plan), "--budget-s", "28")
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert took < 40, f"the call took {took:.0f} s with a 28 s budget"
    commands = (out / "COMMANDS.md").read_text()
    assert "`experiment.log` (exit 124," in commands
    assert "`experiment_from_records.log` (exit 0," in commands
    assert "- `workspace_repro_plain`: not run" in commands
    table = (out / "experiment" / "table.txt").read_text().rstrip()
    assert table and proc.stdout.rstrip().endswith(table + "\n\n" + (out / "summary.txt"
                                                                     ).read_text().rstrip())
    summary = json.loads((out / "experiment" / "summary.json").read_text())
    assert summary["jobs_without_records"] == ["knob llama3-8b/o"]
    assert {(b["variant"], b["m"]) for b in summary["best"]} == {("base", 1), ("base", 16)}
    hung = int(pid_file.read_text())
    state = Path(f"/proc/{hung}/status")
    assert not state.exists() or "\nState:\tZ" in state.read_text(), "the hung child survived"


def test_build_plan_builds_each_recipe_before_hashing(tmp_path: Path) -> None:
    """build-plan runs `w4a16 build` once per recipe, into the binary's folder, and the hashes
    are taken after the builds, so they are of what was just built. A recipe `w4a16 build`
    refuses fails its own step (exit 2) without stopping the call."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "binaries": {"one": str(tmp_path / "x-one" / "bench"),
                     "two": str(tmp_path / "x-two" / "bench")},
        "builds": {"one": ["--no-such-flag"], "two": ["--tiles", "0x0"]}}))
    out = tmp_path / "out"
    proc = _h100(out, "build-plan", "--plan", str(plan), "--binary",
                 str(_stand_in_test_binary(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    commands = (out / "COMMANDS.md").read_text().splitlines()
    assert [c.split("`")[1] for c in commands] == ["build_one.log", "build_two.log",
                                                   "fingerprint.log"]
    assert f"--build-dir {tmp_path / 'x-one'} --no-such-flag" in commands[0]
    assert commands[0].startswith("- `build_one.log` (exit 2,")
    assert "unrecognized arguments: --no-such-flag" in (out / "build_one.log").read_text()
    assert not commands[1].startswith("- `build_two.log` (exit 0,")
    assert json.loads((out / "binaries.json").read_text())["one"]["missing"] is True


def test_build_plan_refuses_a_plan_without_recipes(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"binaries": {"one": "x"}}))
    proc = _h100(tmp_path / "out", "build-plan", "--plan", str(plan))
    assert proc.returncode == 2
    assert 'has no "builds" for build-plan' in proc.stderr
    plan.write_text(json.dumps({"binaries": {"one": "x"}, "builds": {"one": ["--offline"]}}))
    proc = _h100(tmp_path / "out", "build-plan", "--plan", str(plan))
    assert proc.returncode == 2 and "which the caller chooses" in proc.stderr
