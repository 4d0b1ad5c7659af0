"""Content hashes that tie GPU results to a build (w4a16.fingerprint, build_info.json)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from w4a16 import fingerprint, paths


def test_sha256_is_of_the_bytes(tmp_path: Path) -> None:
    data = os.urandom(3 * (1 << 20) + 17)  # more than one read chunk, not a multiple of it
    f = tmp_path / "blob"
    f.write_bytes(data)
    assert fingerprint.sha256_file(f) == hashlib.sha256(data).hexdigest()
    f.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert fingerprint.sha256_file(f) != hashlib.sha256(data).hexdigest()


def test_describe_records_size_and_missing_files(tmp_path: Path) -> None:
    f = tmp_path / "bin"
    f.write_bytes(b"abc")
    got = fingerprint.describe({"here": f, "gone": tmp_path / "nope"})
    assert got["here"] == {"path": str(f), "bytes": 3,
                           "sha256": hashlib.sha256(b"abc").hexdigest()}
    assert got["gone"] == {"path": str(tmp_path / "nope"), "missing": True}


def test_cli_writes_json_and_refuses_unnamed_paths(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    f = tmp_path / "bin"
    f.write_bytes(b"xyz")
    out = tmp_path / "binaries.json"
    assert fingerprint.main([f"test={f}", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["test"]["sha256"] == hashlib.sha256(b"xyz").hexdigest()
    with pytest.raises(SystemExit) as e:
        fingerprint.main([str(f)])
    assert e.value.code == 2
    assert "expected NAME=PATH" in capsys.readouterr().err


def _patch_file(name: str) -> Path:
    for folder in ("slice", "kernel", "experiments"):
        if (paths.PATCHES / folder / name).is_file():
            return paths.PATCHES / folder / name
    raise AssertionError(f"build_info.json names patch {name}, which patches/ does not hold")


def test_build_info_hashes_match_the_binary_and_current_patches() -> None:
    """The build beside the test binary recorded its own hash and those of the patches it
    applied, and they are the files' hashes now: a stale build fails here."""
    binary = paths.default_binary()
    info_file = binary.parent / "build_info.json"
    if not info_file.is_file():
        pytest.skip(f"no build_info.json beside {binary} (not built by `w4a16 build`)")
    info = json.loads(info_file.read_text())
    assert "outputs" in info, f"{info_file} predates hash recording: rebuild it"
    assert info["outputs"][paths.TARGET]["sha256"] == fingerprint.sha256_file(binary)
    assert info["patch_sha256"], "the build applied no patch: the series' fix is missing"
    for name, digest in info["patch_sha256"].items():
        assert fingerprint.sha256_file(_patch_file(name)) == digest, f"{name} changed since"


def test_gpu_steps_record_the_hashes_of_what_they_run(tmp_path: Path) -> None:
    """ci/h100.py hashes the test binary and the plan's binaries before any step, and lists
    that command in COMMANDS.md like every other step (run here with a stand-in binary and
    the one step that needs no GPU to start)."""
    fake = tmp_path / "w4a16SM90SimpleTest"
    fake.write_text("#!/bin/sh\necho stand-in \"$@\"\n")
    fake.chmod(0o755)
    bench = tmp_path / "bench"
    bench.write_bytes(os.urandom(64))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"binaries": {"base": str(bench), "gone": str(tmp_path / "x")}}))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(paths.REPO_ROOT / "ci" / "h100.py"), str(out),
                           "repro", "--binary", str(fake), "--plan", str(plan)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads((out / "binaries.json").read_text())
    assert got["test"]["sha256"] == fingerprint.sha256_file(fake)
    assert got["base"]["sha256"] == fingerprint.sha256_file(bench)
    assert got["gone"]["missing"] is True
    commands = (out / "COMMANDS.md").read_text().splitlines()
    assert commands[0].startswith("- `fingerprint.log` (exit 0,")
    assert "stand-in --w4a16_workspace_repro=16777216" in (out / "workspace_repro_plain.log"
                                                           ).read_text()
