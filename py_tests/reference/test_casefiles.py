"""Case directories: the exact on-disk format, validation, and a run through a fake tool."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from w4a16.casefiles import (
    CaseSpec,
    random_case,
    read_case,
    read_result,
    run_case,
    write_case,
)
from w4a16.errors import UserError
from w4a16.paths import TARGET, TOOL_TARGET
from w4a16.reference import check_output, from_bits, preprocess_sm90

from .support import binary_preprocess, judge_tactic, make_fake_binary

SPEC = CaseSpec(
    m=3, n=16, k=128, group_size=64, dtype="bf16", quant_op="scale_zeros",
    alpha=0.5, has_bias=True, tactics=("tile64x16x64_cluster1x1x1_pingpong",),
)  # fmt: skip


def test_files_are_exactly_the_documented_format(tmp_path: Path, rng: np.random.Generator) -> None:
    case = random_case(SPEC, seed=int(rng.integers(2**31)))
    write_case(tmp_path, case)
    assert json.loads((tmp_path / "case.json").read_text()) == {
        "version": 1, "m": 3, "n": 16, "k": 128, "group_size": 64, "dtype": "bf16",
        "quant_op": "scale_zeros", "alpha": 0.5, "has_bias": True,
        "tactics": ["tile64x16x64_cluster1x1x1_pingpong"],
    }  # fmt: skip
    sizes = {p.name: p.stat().st_size for p in tmp_path.iterdir()}
    assert sizes.pop("case.json") > 0
    assert sizes == {
        "activations.bin": 3 * 128 * 2,
        "weights_int4.bin": 128 * 16,
        "scales.bin": 2 * 16 * 2,
        "zeros.bin": 2 * 16 * 2,
        "bias.bin": 16 * 2,
    }
    raw = (tmp_path / "activations.bin").read_bytes()
    first = int.from_bytes(raw[:2], "little")  # little-endian 16-bit patterns, row-major
    assert first == int(case.activations[0, 0])
    assert int.from_bytes(raw[2 * 128 : 2 * 129], "little") == int(case.activations[1, 0])
    w = np.frombuffer((tmp_path / "weights_int4.bin").read_bytes(), dtype=np.int8)
    assert np.array_equal(w.reshape(128, 16), case.weights)  # plain [K, N], not preprocessed
    scales = np.frombuffer((tmp_path / "scales.bin").read_bytes(), dtype="<u2").reshape(2, 16)
    assert np.array_equal(scales, case.scales)  # [K/g, N], N contiguous
    assert np.all(from_bits(scales, "bf16") > 0)


@pytest.mark.parametrize("quant_op", ["scale_only", "scale_zeros"])
@pytest.mark.parametrize("has_bias", [False, True])
def test_round_trip(
    tmp_path: Path, rng: np.random.Generator, quant_op: str, has_bias: bool
) -> None:
    spec = CaseSpec(m=5, n=24, k=256, group_size=128, dtype="fp16", quant_op=quant_op,
                    has_bias=has_bias)  # fmt: skip
    case = random_case(spec, seed=int(rng.integers(2**31)))
    back = read_case(write_case(tmp_path, case))
    assert back.spec == spec
    for name in ("activations", "weights", "scales", "zeros", "bias"):
        a, b = getattr(case, name), getattr(back, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert (tmp_path / "zeros.bin").exists() == (quant_op == "scale_zeros")
    assert (tmp_path / "bias.bin").exists() == has_bias
    assert read_case(tmp_path).spec.tactics == ("all",)


def test_label_is_readable() -> None:
    assert SPEC.label == "m3_n16_k128_g64_bf16_zeros_bias_alpha0.5"


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"version": 2}, "unsupported version 2"),
        ({"dtype": "fp32"}, "unknown activation dtype 'fp32'"),
        ({"quant_op": "zeros_only"}, "unknown quant op 'zeros_only'"),
        ({"group_size": 96}, "group size 96"),
        ({"n": 12}, "N=12"),
        ({"m": 0}, "M=0"),
        ({"tactics": []}, "at least one tactic"),
        ({"alpha": "x"}, "malformed field"),
    ],
    ids=["version", "dtype", "quant_op", "group_size", "n", "m", "no_tactics", "alpha"],
)
def test_bad_case_json(tmp_path: Path, rng: np.random.Generator, change: dict, match: str) -> None:
    write_case(tmp_path, random_case(SPEC, seed=int(rng.integers(2**31))))
    _edit_json(tmp_path / "case.json", **change)
    with pytest.raises(UserError, match=match):
        read_case(tmp_path)


def test_bad_case_files(tmp_path: Path, rng: np.random.Generator) -> None:
    write_case(tmp_path, random_case(SPEC, seed=int(rng.integers(2**31))))
    (tmp_path / "zeros.bin").unlink()
    with pytest.raises(UserError, match="missing case file .*zeros.bin"):
        read_case(tmp_path)
    write_case(tmp_path, random_case(SPEC, seed=int(rng.integers(2**31))))
    with open(tmp_path / "scales.bin", "ab") as f:
        f.write(b"\0")
    with pytest.raises(UserError, match="expected 64 bytes"):
        read_case(tmp_path)
    write_case(tmp_path, random_case(SPEC, seed=int(rng.integers(2**31))))
    np.full((128, 16), 9, dtype=np.int8).tofile(tmp_path / "weights_int4.bin")
    with pytest.raises(UserError, match=r"\[-8, 7\]"):
        read_case(tmp_path)
    (tmp_path / "case.json").write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        read_case(tmp_path)


def test_write_rejects_inconsistent_case(tmp_path: Path, rng: np.random.Generator) -> None:
    case = random_case(SPEC, seed=int(rng.integers(2**31)))
    bad = type(case)(case.spec, case.activations.T.copy(), case.weights, case.scales,
                     case.zeros, case.bias)  # fmt: skip
    with pytest.raises(UserError, match="activations must be uint16"):
        write_case(tmp_path, bad)
    no_bias_spec = CaseSpec(**{**SPEC.__dict__, "has_bias": False})
    extra = type(case)(no_bias_spec, case.activations, case.weights, case.scales, case.zeros,
                       case.bias)  # fmt: skip
    with pytest.raises(UserError, match="spec does not ask"):
        write_case(tmp_path, extra)


def _write_result(directory: Path, tactics: list[dict]) -> None:
    doc = {"version": 1, "device": "x", "tactics": tactics}
    (directory / "result.json").write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"name": "t", "status": "crashed", "message": "", "file": None}, "unknown status"),
        ({"name": "t", "status": "ok", "message": "", "file": None}, "is ok but names file"),
        ({"status": "ok"}, "malformed tactic entry"),
    ],
    ids=["status", "ok_without_file", "no_name"],
)
def test_bad_result_json(tmp_path: Path, entry: dict, match: str) -> None:
    _write_result(tmp_path, [entry])
    with pytest.raises(UserError, match=match):
        read_result(tmp_path)


def test_run_case_with_missing_binary(tmp_path: Path) -> None:
    missing = re.escape(f"tool binary not found: {tmp_path / TOOL_TARGET} ")
    with pytest.raises(UserError, match=missing):
        run_case(tmp_path / "nope", tmp_path)


def test_run_case_runs_the_tool_beside_the_test_binary(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    """Given the test binary, the case runs through the tool in the same folder; the test
    binary itself is never started."""
    test_binary = tmp_path / TARGET
    test_binary.write_text("#!/bin/sh\necho the test binary ran >&2\nexit 7\n")
    test_binary.chmod(0o755)
    make_fake_binary(tmp_path)
    case = random_case(SPEC, seed=int(rng.integers(2**31)))
    write_case(tmp_path / "case", case)
    result = run_case(test_binary, tmp_path / "case", timeout_s=120)
    assert [(t.name, t.status) for t in result.tactics] == [(SPEC.tactics[0], "ok")]


def test_fake_binary_round_trip(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole loop: write, run a binary, read its outputs, judge them, failures included."""
    names = ["tile64x16x64_cluster1x1x1_pingpong", "tile128x16x64_cluster1x1x1_coop",
             "tile128x64x64_cluster2x1x1_coop", "tile64x32x64_cluster1x1x1_pingpong"]  # fmt: skip
    good, partial, failed, absent = names
    spec = CaseSpec(m=6, n=32, k=256, group_size=64, dtype="fp16", quant_op="scale_zeros",
                    has_bias=True, alpha=2.0, tactics=tuple(names))  # fmt: skip
    case = random_case(spec, seed=int(rng.integers(2**31)))
    write_case(tmp_path / "case", case)
    monkeypatch.setenv("W4A16_FAKE_ONLY", ",".join([good, partial, failed]))
    monkeypatch.setenv("W4A16_FAKE_PARTIAL", partial)
    monkeypatch.setenv("W4A16_FAKE_ERROR", failed)
    result = run_case(make_fake_binary(tmp_path), tmp_path / "case", timeout_s=120)
    assert [t.name for t in result.tactics] == names
    statuses = {t.name: t.status for t in result.tactics}
    assert statuses == {good: "ok", partial: "ok", failed: "error", absent: "not_compiled"}
    reference = case.reference()
    ok = check_output(result.output(result.get(good), 6, 32), reference)
    assert ok.passed, ok.summary()
    half = check_output(result.output(result.get(partial), 6, 32), reference)
    assert not half.passed and half.unwritten_count == 3 * 32
    with pytest.raises(UserError, match="has no output"):
        result.output(result.get(failed), 6, 32)
    verdicts = {name: judge_tactic(result, spec, name, lambda _: reference)[0] for name in names}
    assert verdicts == {good: "pass", partial: "fail", failed: "fail", absent: "skip"}


def test_fake_binary_failure_is_reported(tmp_path: Path) -> None:
    (tmp_path / "case.json").write_text("{}")
    with pytest.raises(UserError, match="failed on .* \\(exit 1\\)"):
        run_case(make_fake_binary(tmp_path), tmp_path, timeout_s=120)


def test_fake_binary_preprocess_mode(tmp_path: Path, rng: np.random.Generator) -> None:
    # Exercises the cross-check's plumbing (argument order, raw formats) without the C++.
    q = rng.integers(-8, 8, size=(128, 24), dtype=np.int8)
    got = binary_preprocess(make_fake_binary(tmp_path), q, tmp_path)
    assert np.array_equal(got, preprocess_sm90(q))
