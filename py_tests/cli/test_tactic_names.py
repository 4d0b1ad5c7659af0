"""One name per tactic: C++ (`tactic_name` in cpp_tests/w4a16_gemm_adapter.h, from each
CutlassGemmConfig of TensorRT-LLM's candidate list) and Python (w4a16.tactics) spell the
same list the same way, in the same order.

Needs no GPU: the bench binary lists the candidates (`--list`) and the test binary names its
parameterised cases after them (`--gtest_list_tests`). The binaries are found as ci/test.py
provides them: $W4A16_BINARY (build/ci's test binary) and $W4A16_FULL_BINARY (build/ci-full's,
where a TensorRT-LLM tree with the runner was found), else those folders. The slim build is
always there on CI (CI=true), so there its absence fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from w4a16 import build, paths
from w4a16.tactics import GEMV_TACTIC, all_tactics

TACTIC_SUITE = "AllCases/GPU_Tactic."


def python_names(binary: Path) -> list[str]:
    """Every CUTLASS candidate (compiled into the build or not) and the heuristic's GEMV entry,
    in the candidate list's order, for the sources `binary` was built from: with the series'
    256-row tiles where its build_info.json says the build had them (fix 0008)."""
    return [t.name for t in all_tactics(build.offers_row256_tiles(binary))] + [GEMV_TACTIC]


def _test_binary(build: str) -> Path:
    """The test binary of `build` ("slim" or "full"); skips (or fails) naming what is missing."""
    env = "W4A16_BINARY" if build == "slim" else "W4A16_FULL_BINARY"
    named = os.environ.get(env)
    binary = Path(named) if named else paths.build_dir("ci", full_tree=build == "full") / \
        paths.TARGET
    if binary.is_file():
        return binary
    if build == "slim":
        reason = (f"no test binary at {binary} (${env} or build/ci: `w4a16 build --preset ci "
                  "--no-run --slice` builds it)")
    else:
        reason = (f"no full-tree test binary at {binary} (${env} or build/ci-full: ci/test.py "
                  "builds it where a TensorRT-LLM tree with the runner is found)")
    if named or (build == "slim" and os.environ.get("CI") == "true"):
        pytest.fail(f"{reason}; it must exist here")
    pytest.skip(reason)


def _beside(binary: Path, name: str) -> Path:
    path = binary.parent / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: `w4a16 build` builds it beside {binary.name}")
    return path


def _run(*cmd: object) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{cmd[0]} exited {proc.returncode}: {proc.stderr.strip()}"
    return proc.stdout


def _tactics_per_case(listing: str) -> dict[str, list[str]]:
    """From `--gtest_list_tests`: each case's tactic names, in listing order."""
    per_case: dict[str, list[str]] = {}
    suite = None
    for line in listing.splitlines():
        if not line.startswith(" "):
            suite = line.split("#")[0].strip()
            continue
        if suite != TACTIC_SUITE:
            continue
        name = line.split("#")[0].strip()  # MatchesReference/<case>__<tactic>
        case, sep, tactic = name.partition("/")[2].rpartition("__")
        assert sep, f"no '__' between case and tactic in {name!r}"
        per_case.setdefault(case, []).append(tactic)
    return per_case


@pytest.mark.parametrize("build", ["slim", "full"])
def test_bench_lists_the_candidates_under_pythons_names(build: str) -> None:
    binary = _test_binary(build)
    bench = _beside(binary, paths.BENCH_TARGET)
    records = [json.loads(line) for line in _run(bench, "--list").splitlines() if line.strip()]
    records = [r for r in records if r.get("record", "candidate") == "candidate"]
    assert [r["config_index"] for r in records] == list(range(len(records)))
    assert [r["tactic"] for r in records] == python_names(binary)


@pytest.mark.parametrize("build", ["slim", "full"])
def test_every_gtest_case_runs_the_candidates_under_pythons_names(build: str) -> None:
    binary = _test_binary(build)
    per_case = _tactics_per_case(_run(binary, "--gtest_list_tests"))
    assert per_case, f"no {TACTIC_SUITE} cases in the listing"
    expected = python_names(binary)
    for case, names in per_case.items():
        assert names == expected, case
