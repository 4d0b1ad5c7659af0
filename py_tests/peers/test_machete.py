"""w4a16.peers.machete: locating a Machete tree, one generated TU per schedule, the
command line and the records of w4a16MacheteBench (a fake binary: no GPU), and, marked slow,
a real build of one schedule."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from w4a16.errors import UserError
from w4a16.peers import machete

SHARED_TREE = Path("/work/shared/peers/machete")
TREE = Path(os.environ.get("W4A16_MACHETE_DIR", SHARED_TREE))

ENTRIES = [
    ("128x128_2x1x1_TmaMI_TmaCoop_streamK", 128, 128, 2, 1, 1),
    ("128x16_1x1x1_TmaMI_TmaCoop_streamK", 128, 16, 1, 1, 1),
    ("256x64_2x1x1_TmaMI_TmaCoop_streamK", 256, 64, 2, 1, 1),
]


def header_text(entries: list[tuple] = ENTRIES) -> str:
    rows = "\n".join(f'        {{"{e[0]}", {e[1]}, {e[2]}, {e[3]}, {e[4]}, {e[5]}}},'
                     for e in entries)
    return (
        "struct MacheteSchedule { char const* name; int tile_n; };\n"
        "template <int A, int B, int C, int D, int E> struct ScheduleTemplate {};\n"
        "template <typename T> struct MacheteKernelTemplate {};\n"
        "using PrepackLayout = int;\nvoid prepack_B();\n"
        "inline std::vector<MacheteSchedule> supported_schedules()\n{\n    return {\n"
        f"{rows}\n    }};\n}}\n"
        "inline MacheteSchedule select_schedule(int m, int n, int k) { return {}; }\n"
    )


def fake_tree(root: Path, header: str | None = None, skip: str | None = None) -> Path:
    for rel in machete.REQUIRED_FILES:
        if rel == skip:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("// stub\n")
    if skip != machete.GEMM_HEADER:
        (root / machete.GEMM_HEADER).write_text(header if header is not None else header_text())
    return root


# ---- locate --------------------------------------------------------------------------------

def test_locate_reads_the_schedule_list(tmp_path: Path) -> None:
    tree = machete.locate(fake_tree(tmp_path))
    assert tree.root == tmp_path.resolve()
    assert [s.name for s in tree.schedules] == [e[0] for e in ENTRIES]
    s = tree.schedules[2]
    assert (s.tile_n, s.tile_m, s.cluster_n, s.cluster_m, s.cluster_k) == (256, 64, 2, 1, 1)
    assert s.tactic == "machete_256x64_2x1x1_TmaMI_TmaCoop_streamK"
    assert s.ident == "s256x64_2x1x1_TmaMI_TmaCoop_streamK"


def test_locate_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        machete.locate(tmp_path / "nowhere")


@pytest.mark.parametrize("missing", machete.REQUIRED_FILES)
def test_locate_names_the_missing_file(tmp_path: Path, missing: str) -> None:
    with pytest.raises(UserError) as err:
        machete.locate(fake_tree(tmp_path, skip=missing))
    message = str(err.value)
    assert message.endswith(f"lacks {missing}")
    assert "\n" not in message


def test_locate_header_without_schedules(tmp_path: Path) -> None:
    text = header_text().replace("supported_schedules", "listed_schedules")
    with pytest.raises(UserError, match="supported_schedules"):
        machete.locate(fake_tree(tmp_path, text))


def test_locate_header_without_a_name_we_use(tmp_path: Path) -> None:
    text = header_text().replace("prepack_B", "prepack_weights")
    with pytest.raises(UserError, match="does not define prepack_B"):
        machete.locate(fake_tree(tmp_path, text))


def test_parse_checks_fields_against_the_name() -> None:
    bad = [("128x64_2x1x1_TmaMI_TmaCoop_streamK", 64, 128, 2, 1, 1)]
    with pytest.raises(UserError, match="does not match its fields"):
        machete.parse_schedules(header_text(bad))


def test_parse_rejects_duplicates_and_empty_lists() -> None:
    with pytest.raises(UserError, match="twice"):
        machete.parse_schedules(header_text([ENTRIES[0], ENTRIES[0]]))
    with pytest.raises(UserError, match="no schedule"):
        machete.parse_schedules(header_text([]))


def test_select(tmp_path: Path) -> None:
    tree = machete.locate(fake_tree(tmp_path))
    assert machete.select(tree, None) == tree.schedules
    # names or tactic names; the tree's order, whatever the order asked
    chosen = machete.select(tree, ["machete_256x64_2x1x1_TmaMI_TmaCoop_streamK",
                                   "128x128_2x1x1_TmaMI_TmaCoop_streamK"])
    assert [s.name for s in chosen] == [ENTRIES[0][0], ENTRIES[2][0]]
    with pytest.raises(UserError, match="unknown Machete schedule"):
        machete.select(tree, ["64x64_1x1x1"])


@pytest.mark.skipif(not (TREE / machete.GEMM_HEADER).is_file(),
                    reason=f"no Machete tree at {TREE}")
def test_locate_the_shared_tree() -> None:
    tree = machete.locate(TREE)
    names = [s.name for s in tree.schedules]
    assert len(names) == 10
    assert "128x128_2x1x1_TmaMI_TmaCoop_streamK" in names
    assert all(n.endswith("_TmaMI_TmaCoop_streamK") for n in names)


# ---- generated TUs -------------------------------------------------------------------------

def test_generate_one_schedule_per_unit(tmp_path: Path) -> None:
    tree = machete.locate(fake_tree(tmp_path / "tree"))
    gen = tmp_path / "gen"
    units = machete.generate(tree, gen)
    assert [u.name for u in units] == [f"schedule_{s.ident}.cu" for s in tree.schedules]
    for unit, s in zip(units, tree.schedules, strict=True):
        text = unit.read_text()
        inst = re.findall(r"template struct MacheteSchedule<([^>]*)>;", text)
        assert inst == [f"{s.tile_n}, {s.tile_m}, {s.cluster_n}, {s.cluster_m}, {s.cluster_k}"]
        assert f'entry("{s.name}")' in text
        assert f"entry_{s.ident}()" in text
        assert '#include "machete_schedule.cuh"' in text
    registry = (gen / "registry.cu").read_text()
    assert registry.count("      entry_") == len(tree.schedules)
    assert "machete_schedule.cuh" not in registry  # the registry compiles no kernel
    listing = (gen / "sources.cmake").read_text()
    assert all(f'"{u}"' in listing for u in units)


def test_generate_subset_removes_stale_units_and_keeps_unchanged(tmp_path: Path) -> None:
    tree = machete.locate(fake_tree(tmp_path / "tree"))
    gen = tmp_path / "gen"
    units = machete.generate(tree, gen)
    os.utime(units[0], (1, 1))
    kept = machete.generate(tree, gen, machete.select(tree, [ENTRIES[0][0]]))
    assert kept == [units[0]]
    assert units[0].stat().st_mtime == 1  # not rewritten: nothing recompiles
    assert sorted(p.name for p in gen.glob("schedule_*.cu")) == [units[0].name]
    assert (gen / "registry.cu").read_text().count("      entry_") == 1


# ---- command line and records --------------------------------------------------------------

def test_command() -> None:
    cmd = machete.command(Path("/x/w4a16MacheteBench"), 4096, 14336, [1, 16], group=64,
                          label="l/qkv", schedules=["a", "b"], seed=7,
                          timing_args=["--budget-ms", "5"], out=Path("/tmp/o.jsonl"))
    assert cmd == ["/x/w4a16MacheteBench", "--n", "4096", "--k", "14336", "--m", "1,16",
                   "--group", "64", "--label", "l/qkv", "--schedules", "a,b", "--seed", "7",
                   "--budget-ms", "5", "--out", "/tmp/o.jsonl"]
    with pytest.raises(UserError):
        machete.command(Path("b"), 1, 1, [])


DEVICE = {"record": "device", "name": "NVIDIA H200", "sm_count": 132, "l2_bytes": 62914560,
          "adapter": "machete", "build_filter": "schedules=128x16_1x1x1_TmaMI_TmaCoop_streamK"}
PROBLEM = {"record": "problem", "label": "t", "m": 16, "n": 4096, "k": 4096, "group": 128,
           "dtype": "fp16", "quant": "scale_only", "weight_type": "u4b8", "copies": 9,
           "default_tactic": "machete_heuristic",
           "heuristic_schedule": "128x16_1x1x1_TmaMI_TmaCoop_streamK"}
TACTIC = {**{k: v for k, v in PROBLEM.items() if k not in
             ("record", "copies", "default_tactic", "heuristic_schedule")},
          "record": "tactic", "config_index": 0,
          "tactic": "machete_128x16_1x1x1_TmaMI_TmaCoop_streamK",
          "schedule": "128x16_1x1x1_TmaMI_TmaCoop_streamK", "status": "ok", "message": "",
          "checked": 384, "max_error_ratio": 0.01, "median_us": 10.5, "min_us": 10.1,
          "p90_us": 11.0, "mean_us": 10.6, "samples": 40, "launches_per_sample": 18,
          "copies": 9}


def fake_binary(tmp_path: Path, lines: list[str], code: int = 0, stderr: str = "") -> Path:
    script = tmp_path / "w4a16MacheteBench"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"sys.stdout.write({''.join(x + chr(10) for x in lines)!r})\n"
        f"sys.stderr.write({stderr!r})\nsys.exit({code})\n")
    script.chmod(0o755)
    return script


def test_run_parses_records(tmp_path: Path) -> None:
    heuristic = {**TACTIC, "tactic": "machete_heuristic"}
    lines = [json.dumps(r) for r in (DEVICE, PROBLEM, TACTIC, heuristic)]
    binary = fake_binary(tmp_path, ["", *lines], stderr="[w4a16MacheteBench] progress\n")
    seen: list = []
    records = machete.run([str(binary)], tmp_path / "log.txt", seen.append)
    assert records == seen
    assert [r.to_json() for r in records] == [DEVICE, PROBLEM, TACTIC, heuristic]
    tactics = machete.tactic_records(records)
    assert [t.result.tactic for t in tactics] == [TACTIC["tactic"], "machete_heuristic"]
    assert "progress" in (tmp_path / "log.txt").read_text()


def test_run_failure_carries_the_error_line(tmp_path: Path) -> None:
    binary = fake_binary(tmp_path, [json.dumps(DEVICE)], code=2,
                         stderr="error: w4a16MacheteBench needs an SM90 GPU: no CUDA device\n")
    with pytest.raises(UserError, match="exited with 2: error: .*needs an SM90 GPU"):
        machete.run([str(binary)])


def test_run_rejects_non_json(tmp_path: Path) -> None:
    binary = fake_binary(tmp_path, ["median 10 us"])
    with pytest.raises(UserError, match="not JSON"):
        machete.run([str(binary)])
    binary = fake_binary(tmp_path, ['{"tactic": "x"}'])
    with pytest.raises(UserError, match="unexpected record"):
        machete.run([str(binary)])


def test_run_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="build it with"):
        machete.run([str(tmp_path / "w4a16MacheteBench")])


def test_cli_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert machete.main(["list", "--machete-dir", str(fake_tree(tmp_path))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in out] == [f"machete_{e[0]}" for e in ENTRIES]
    assert machete.main(["list", "--machete-dir", str(tmp_path / "none")]) == 2
    assert "error: Machete tree" in capsys.readouterr().err


# ---- the real build (slow) -----------------------------------------------------------------

def _nvcc() -> str | None:
    return shutil.which("nvcc") or next(
        (p for p in ("/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc") if Path(p).is_file()), None)


@pytest.mark.slow
def test_build_one_schedule(tmp_path: Path) -> None:
    if not (TREE / machete.GEMM_HEADER).is_file():
        pytest.skip(f"no Machete tree at {TREE} (set W4A16_MACHETE_DIR)")
    if _nvcc() is None:
        pytest.skip("nvcc not found")
    tree = machete.locate(TREE)
    name = "128x16_1x1x1_TmaMI_TmaCoop_streamK"
    binary = machete.build(tree, tmp_path / "build", jobs=2, schedules=[name])
    listing = subprocess.run([str(binary), "--list"], capture_output=True, text=True, check=True)
    records = [json.loads(ln) for ln in listing.stdout.splitlines()]
    compiled = {r["schedule"]: r["compiled"]["fp16/scale_only"] for r in records
                if r["record"] == "candidate"}
    assert compiled[name] is True
    assert sum(compiled.values()) == 2  # the schedule and the heuristic
    assert any(r["record"] == "prepack" for r in records)
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, check=True)
    assert "--schedules" in usage.stdout and "--budget-ms" in usage.stdout
    bad = subprocess.run([str(binary), "--n", "4096", "--k", "4096", "--m", "1",
                          "--schedules", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --schedules")
    assert binary.stat().st_size < 64 * 2**20


@pytest.mark.slow
def test_error_bound_separates_right_from_wrong(tmp_path: Path) -> None:
    """machete_check.h's bound holds for outputs computed as Machete does and fails for a
    wrong scale group or weight row (a host program; no GPU, no Machete tree)."""
    nvcc = _nvcc()
    if nvcc is None:
        pytest.skip("nvcc not found")
    src = machete.PROJECT / "machete_check_selftest.cu"
    exe = tmp_path / "selftest"
    subprocess.run([nvcc, "-std=c++17", "-O2", f"-I{machete.PROJECT}",
                    f"-I{machete.PROJECT.parent.parent}", str(src), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
    _, worst_ok, best_wrong = out.stdout.split()
    assert float(worst_ok) < 0.5 and float(best_wrong) > 3
