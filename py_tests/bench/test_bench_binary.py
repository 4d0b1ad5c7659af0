"""The real w4a16SM90Bench (as the ci preset builds it): help, candidate list, argument
errors, and a clear refusal on machines without an SM90 GPU."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from w4a16 import build, gpu, paths
from w4a16.bench.timing import Sampling
from w4a16.tactics import GEMV_TACTIC, all_tactics

CONFIG0 = "tile64x16x64_cluster1x1x1_pingpong"


def bench_binary_or_skip() -> Path:
    """Next to the gtest binary CI builds ($W4A16_BINARY), else build/ci's."""
    test_binary = os.environ.get("W4A16_BINARY")
    folder = Path(test_binary).parent if test_binary else paths.build_dir("ci")
    path = folder / "w4a16SM90Bench"
    if path.is_file():
        return path
    reason = f"bench binary {path} not built (w4a16 build --preset ci builds it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, where it must exist")
    pytest.skip(reason)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bench_binary_or_skip()), *args], capture_output=True, text=True,
                          timeout=120)


def test_help_documents_every_flag_the_sweep_passes():
    proc = run("--help")
    assert proc.returncode == 0
    for flag in [*Sampling().binary_args()[::2], "--n", "--k", "--m", "--group", "--dtype",
                 "--quant", "--label", "--tactics", "--seed", "--out", "--list"]:
        assert f"  {flag} " in proc.stdout, flag


def test_the_sweeps_default_flags_parse():
    # Every flag the sweep passes, with the default plan's values (a zero --settle-ms too),
    # is parsed before --help is acted on; bad values get one error line and exit 2.
    proc = run(*Sampling().binary_args(), "--help")
    assert proc.returncode == 0, proc.stderr
    for flag, value in (("--settle-ms", "-1"), ("--settle-ms", "nan"), ("--budget-ms", "0")):
        proc = run(flag, value, "--help")
        assert proc.returncode == 2 and proc.stderr.startswith("error: " + flag), proc.stderr


def test_list_gives_the_heuristic_order_and_what_was_compiled():
    binary = bench_binary_or_skip()
    proc = run("--list")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    # TensorRT-LLM's 21 (tile, cluster) pairs, 31 with fix 0008, then the GEMV entry.
    count = len(all_tactics(build.offers_row256_tiles(binary))) + 1
    assert len(records) == count
    assert [r["config_index"] for r in records] == list(range(count))
    assert records[0]["tactic"] == CONFIG0
    # The heuristic's last entry (enableCudaKernel) is TensorRT-LLM's CUDA-core GEMV.
    assert records[-1]["tactic"] == GEMV_TACTIC
    manifest = binary.parent / "generated" / "manifest.json"
    if not manifest.is_file():
        pytest.skip(f"no {manifest} to compare with")
    built = json.loads(manifest.read_text())
    compiled = set(built["compiled"])
    for r in records[:-1]:
        for combo, flag in r["compiled"].items():
            act, quant = combo.split("/")
            assert flag == (f"{act}_{quant}_{r['tactic']}" in compiled), (combo, r["tactic"])
    # The GEMV is compiled only in a full-tree build, for the selected activations/quant ops.
    pairs = {f"{act}/{quant}" for act in ("fp16", "bf16") for quant in ("scale_only", "scale_zeros")
             if any(c.startswith(f"{act}_{quant}_") for c in compiled)}
    gemv_pairs = pairs if built.get("gemv_units") else set()
    for combo, flag in records[-1]["compiled"].items():
        assert flag == (combo in gemv_pairs), combo


@pytest.mark.parametrize("args, message", [
    (("--n", "4096", "--k", "4000", "--m", "1"), "multiple of the group size"),
    (("--n", "4096", "--k", "4096"), "--n, --k and --m are required"),
    (("--n", "4096", "--k", "4096", "--m", "1,x"), "--m expects an integer"),
    (("--dtype", "fp32"), "--dtype is fp16 or bf16"),
    (("--bogus", "1"), "unknown option --bogus"),
    (("--n", "4096", "--k", "4096", "--m", "1", "--min-samples", "9", "--max-samples", "3"),
     "--min-samples"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    proc = run(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and message in proc.stderr
    assert proc.stdout == ""


def test_without_an_sm90_gpu_it_refuses_clearly():
    if not gpu.sm90_reason():
        pytest.skip("an SM90 GPU is present: the refusal cannot be observed here")
    proc = run("--n", "4096", "--k", "4096", "--m", "1,16")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: w4a16SM90Bench needs an SM90 GPU: ")
    assert proc.stdout == ""


@pytest.mark.parametrize("quant", ["scale_only", "scale_zeros"])
def test_every_problem_ends_with_its_stream_floor(quant):
    """On an SM90 GPU: after the tactics, a `stream` record whose kernel moved the problem's
    bytes (the binary checks every operand word was read once before it times it)."""
    if reason := gpu.sm90_reason():
        pytest.skip(f"needs an SM90 GPU to run the stream kernel: {reason}")
    proc = run("--n", "2048", "--k", "1024", "--m", "1,3", "--quant", quant, "--tactics",
               CONFIG0, "--budget-ms", "1", "--min-samples", "3")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    streams = [r for r in records if r["record"] == "stream"]
    assert [r["m"] for r in streams] == [1, 3]
    for r in streams:
        assert r["status"] == "ok", r
        assert r["median_us"] > 0 and r["samples"] >= 3
        groups = (1024 // 128) * 2048 * (2 if quant == "scale_zeros" else 1)
        assert r["bytes"] == 2048 * 1024 // 2 + groups * 2 + r["m"] * (1024 + 2048) * 2
    kinds = [r["record"] for r in records]
    assert kinds.index("stream") > kinds.index("tactic")
