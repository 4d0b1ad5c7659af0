"""Content hashes that tie GPU results to a build (w4a16.fingerprint, build_info.json)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from w4a16 import fingerprint, paths
from w4a16.patches import overlay


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


def test_match_names_the_build_each_run_binary_came_from(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A GPU run's binaries.json against the CPU machine's ready list: each binary is named by
    the build with the same bytes, whatever its path; one of unknown origin fails the check."""
    built = {name: tmp_path / name for name in ("base", "split")}
    for i, f in enumerate(built.values()):
        f.write_bytes(os.urandom(32) + bytes([i]))
    ready = tmp_path / "ready.json"
    assert fingerprint.main([f"{k}={v}" for k, v in built.items()] + ["--out", str(ready)]) == 0
    copy = tmp_path / "carried"  # the same bytes under another name and path
    copy.write_bytes(built["split"].read_bytes())
    ran = tmp_path / "binaries.json"
    fingerprint.main([f"b={built['base']}", f"s={copy}", f"gone={tmp_path / 'x'}",
                      "--out", str(ran)])
    capsys.readouterr()
    assert fingerprint.main(["--match", str(ran), str(ready)]) == 0
    assert capsys.readouterr().out.splitlines() == ["b: base", "s: split"]
    copy.write_bytes(copy.read_bytes() + b"!")  # rebuilt since: no longer the ready binary
    fingerprint.main([f"s={copy}", "--out", str(ran)])
    capsys.readouterr()
    assert fingerprint.main(["--match", str(ran), str(ready)]) == 1
    assert capsys.readouterr().out == f"s: NO MATCH in {ready}\n"
    with pytest.raises(SystemExit) as e:
        fingerprint.main(["--match", str(ran), str(ready), f"x={copy}"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        fingerprint.main(["--match", str(ran), str(tmp_path / "absent.json")])
    assert e.value.code == 2
    assert "--match needs two JSON files" in capsys.readouterr().err
    not_records = tmp_path / "summary.json"  # JSON, but not NAME -> record
    for text in ('["b", "s"]', '{"variants": 5}'):
        not_records.write_text(text)
        with pytest.raises(SystemExit) as e:
            fingerprint.main(["--match", str(not_records), str(ready)])
        assert e.value.code == 2
        assert "is not a NAME -> record map" in capsys.readouterr().err


def _patch_file(name: str) -> Path:
    for folder in (overlay.SLICE_PATCHES, overlay.KERNEL_PATCHES, overlay.EXPERIMENT_PATCHES):
        if (folder / name).is_file():
            return folder / name
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
    assert set(info["patch_sha256"]) == {n.split(" ")[0] for n in info["kernel_fixes"]}
    for name, digest in info["patch_sha256"].items():
        assert fingerprint.sha256_file(_patch_file(name)) == digest, f"{name} changed since"



def test_overlay_id_changes_with_any_applied_patch() -> None:
    """The fingerprint on every compile line: equal for equal patch lists, different when a
    patch is added, dropped, reordered or edited."""
    from w4a16.build import overlay_id

    base = {"0002-a.patch": "1" * 64, "0003-b.patch": "2" * 64}
    assert overlay_id(base) == overlay_id(dict(base))
    assert len(overlay_id(base)) == 16
    variants = [
        {**base, "0007-c.patch": "3" * 64},
        {"0002-a.patch": "1" * 64},
        {"0003-b.patch": "2" * 64, "0002-a.patch": "1" * 64},
        {"0002-a.patch": "1" * 64, "0003-b.patch": "4" * 64},
        {},
    ]
    ids = {overlay_id(v) for v in variants}
    assert overlay_id(base) not in ids and len(ids) == len(variants)


def test_the_overlay_id_reaches_the_compile_lines() -> None:
    """Where a build exists, its compile commands carry the fingerprint of its patches."""
    binary = paths.default_binary()
    info_file = binary.parent / "build_info.json"
    ninja = binary.parent / "build.ninja"
    if not info_file.is_file() or not ninja.is_file():
        pytest.skip(f"no build beside {binary} (not built by `w4a16 build`)")
    from w4a16.build import overlay_id

    info = json.loads(info_file.read_text())
    assert f"W4A16_OVERLAY_ID={overlay_id(info['patch_sha256'])}" in ninja.read_text()
