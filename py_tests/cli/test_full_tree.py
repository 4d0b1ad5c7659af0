"""The full-tree build: finding a tree with the runner, generating its units, the binary it gives.

Synthetic trees cover the locator and the generators on any machine; the real
TensorRT-LLM-derived tree (../shared/trtllm-tree or $W4A16_TRTLLM_TREE) and the CI-sized
full-tree binary ($W4A16_FULL_BINARY, built by ci/test.py) are used where they exist, and the
tests that need them skip naming what is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from w4a16 import gemv_units, instantiations, paths, sources
from w4a16 import tactics as tx
from w4a16.errors import UserError

LAUNCHER = """
namespace weight_only {
template <bool isGroupwise, typename Details>
void select_gs(Params& params, cudaStream_t s);

inline void kernel_launcher(int arch, Params& params, cudaStream_t s)
{
#define EXEC(KType, A, B, Layout, ConverterInterleave)                          \\
    if (params.type == KType)                                                   \\
    {                                                                           \\
        select_gs<kernel_type_traits<KType>::isGroupwise,                       \\
            KernelDetails<A, B, Layout, ConverterInterleave, 64>>(params, s);   \\
        return;                                                                 \\
    }
#define EXEC_W4A8(KType, A, B, Layout, ConverterInterleave)                     \\
    if (params.type == KType && params.apply_alpha_in_advance)                  \\
    {                                                                           \\
        select_gs<kernel_type_traits<KType>::isGroupwise,                       \\
            KernelDetails<A, B, Layout, ConverterInterleave, 128>>(params, s);  \\
        return;                                                                 \\
    }
    if ((arch >= 80 && arch < 90) || arch >= 120)
    {
        if (arch == 89 || arch >= 120)
        {
            EXEC_W4A8(KernelType::FP16Int4Groupwise, F16, W4, Ampere, true);
        }
        EXEC(KernelType::FP16Int4Groupwise, F16, W4, Ampere, true);
    }
    else if (arch == 90)
    {
        // the Hopper layout
        EXEC_W4A8(KernelType::FP16Int4Groupwise, F16, W4, Hopper, true);
        EXEC(KernelType::FP16Int4Groupwise, F16, W4, Hopper, true);
        EXEC(KernelType::BF16Int4Groupwise, B16, W4, Hopper, true);
        EXEC(KernelType::FP16Int8PerChannel, F16, W8, Hopper, true);
    }
#undef EXEC
}
}
"""


def test_launcher_parse_marks_what_sm90_reaches() -> None:
    combos = {c.select_gs: c for c in gemv_units.parse_launcher(LAUNCHER)}
    hopper = "KernelDetails<F16, W4, Hopper, true, 64>"
    assert combos[f"select_gs<true, {hopper}>"].on_sm90
    assert not combos[f"select_gs<true, {hopper}>"].w4a8
    ampere = "KernelDetails<F16, W4, Ampere, true, 64>"
    assert not combos[f"select_gs<true, {ampere}>"].on_sm90
    per_channel = [c for c in combos.values() if c.kernel_type == "FP16Int8PerChannel"]
    assert len(per_channel) == 1 and not per_channel[0].groupwise
    w4a8 = [c for c in combos.values() if c.w4a8]
    assert {c.details.split(", ")[2] for c in w4a8} == {"Ampere", "Hopper"}
    assert all(c.details.endswith(", 128>") for c in w4a8)
    assert len(combos) == 6
    assert gemv_units.tested_combo(list(combos.values()), "fp16", "x").details == hopper


def test_launcher_of_an_unknown_form_is_refused() -> None:
    with pytest.raises(UserError, match="has a form the build does not know"):
        gemv_units.parse_launcher("inline void kernel_launcher(int arch) {}")
    odd = LAUNCHER.replace("arch == 90", "arch == sm_version()")
    with pytest.raises(UserError, match="cannot evaluate the condition"):
        gemv_units.parse_launcher(odd)
    combos = gemv_units.parse_launcher(LAUNCHER.replace("BF16Int4Groupwise", "BF16Int8Groupwise"))
    with pytest.raises(UserError, match="expected one SM90 GEMV for BF16Int4Groupwise, found 0"):
        gemv_units.tested_combo(combos, "bf16", "kernelLauncher.h")


def test_dispatcher_of_another_shape_is_refused() -> None:
    with pytest.raises(UserError, match="no `check_pointer` template"):
        gemv_units.check_dispatcher("template <int G> void check_pointer(Params&);", "d.h")


def test_conditions_evaluate_like_cpp() -> None:
    holds = gemv_units._holds_for
    assert holds("(arch >= 80 && arch < 90) || arch >= 120", 120)
    assert not holds("(arch >= 80 && arch < 90) || arch >= 120", 90)
    assert holds("!(arch != 90)", 90)
    with pytest.raises(ValueError):
        holds("arch == 90; system()", 90)


def fake_tree(root: Path, *, full: bool, cutlass: bool) -> Path:
    cpp = root / "cpp"
    files = [sources.SM90_TEMPLATE, sources.HEURISTIC_CPP]
    if full:
        files += list(sources.FULL_TREE_FILES)
    for rel in files:
        (cpp / rel).parent.mkdir(parents=True, exist_ok=True)
        (cpp / rel).write_text("// stand-in\n")
    (cpp / "include").mkdir(exist_ok=True)
    (cpp / "tensorrt_llm" / "cutlass_extensions" / "include").mkdir(parents=True)
    if cutlass:
        inc = root / "3rdparty" / "cutlass" / "include" / "cutlass"
        inc.mkdir(parents=True)
        (root / "3rdparty" / "cutlass" / "tools" / "util" / "include").mkdir(parents=True)
    return root


def test_a_tree_with_runner_preprocessor_and_gemv_gives_the_full_tree_build(
        tmp_path: Path) -> None:
    tree = fake_tree(tmp_path / "t", full=True, cutlass=True)
    kernels = sources.locate_kernels(tree, tmp_path / "cache", fetch=False)
    assert kernels.full_tree and kernels.build_kind == "full-tree"
    assert kernels.gemv_launcher == tree / "cpp" / sources.GEMV_LAUNCHER
    assert kernels.runner_sources == [tree / "cpp" / sources.PREPROCESSORS_CPP]
    assert kernels.cutlass_include == tree / "3rdparty" / "cutlass" / "include"


def test_a_tree_without_the_gemv_gives_the_slim_build_and_says_why(tmp_path: Path) -> None:
    tree = fake_tree(tmp_path / "t", full=False, cutlass=True)
    kernels = sources.locate_kernels(tree, tmp_path / "cache", fetch=False)
    assert not kernels.full_tree and kernels.runner_sources == []
    assert "slim build" in kernels.note and kernels.build_kind == "slim"


def test_a_tree_without_cutlass_needs_the_slice_cutlass(tmp_path: Path) -> None:
    tree = fake_tree(tmp_path / "t", full=True, cutlass=False)
    with pytest.raises(UserError, match="no CUTLASS at 3rdparty/cutlass.*drop --offline"):
        sources.locate_kernels(tree, tmp_path / "empty-cache", fetch=False)


def test_slice_flag_and_trtllm_dir_contradict(tmp_path: Path) -> None:
    tree = fake_tree(tmp_path / "t", full=True, cutlass=True)
    with pytest.raises(UserError, match="contradict"):
        sources.locate_kernels(tree, tmp_path, fetch=False, slice_only=True)


def test_the_shared_tree_is_found_when_nothing_is_named(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    tree = fake_tree(tmp_path / "t", full=True, cutlass=True)
    monkeypatch.setattr(sources.paths, "SUBMODULE", tmp_path / "no-submodule")
    monkeypatch.setenv("W4A16_TRTLLM_TREE", str(tree))
    assert sources.locate_kernels(None, tmp_path, fetch=False).root == tree


def test_build_folders_of_the_two_builds() -> None:
    assert paths.build_dir("slim").name == "slim"
    assert paths.build_dir("slim", full_tree=True).name == "full"
    assert paths.build_dir("ci", full_tree=True).name == "ci-full"


def _generate(out: Path, cpp: Path | None) -> dict:
    selected = tx.select({"64x16"}, ("fp16",), ("scale_only",))
    return instantiations.generate(out, selected, 1, "test", cpp, (128,))


def test_registry_declares_compiled_launchers_extern(tmp_path: Path) -> None:
    _generate(tmp_path, None)
    registry = (tmp_path / "w4a16_tactic_registry.h").read_text()
    externs = [ln for ln in registry.splitlines() if ln.startswith("extern template")]
    assert len(externs) == 1  # 64x16 has one cluster; the other 83 are stubs
    assert not list(tmp_path.glob("w4a16_runner_*")) and not list(tmp_path.glob("w4a16_gemv_*"))


def real_tree_cpp() -> Path:
    tree = Path(os.environ.get("W4A16_TRTLLM_TREE", paths.SHARED_TREE))
    cpp = tree / "cpp"
    if not all((cpp / f).is_file() for f in sources.FULL_TREE_FILES):
        pytest.skip(f"no TensorRT-LLM tree with the runner, the preprocessor and the GEMV at "
                    f"{tree} (set W4A16_TRTLLM_TREE)")
    return cpp


def test_full_tree_units_for_the_real_tree(tmp_path: Path) -> None:
    cpp = real_tree_cpp()
    manifest = _generate(tmp_path, cpp)
    assert manifest["full_tree"] and manifest["gemv_groups"] == [128]
    assert len(manifest["runner_units"]) == 4  # every (activation, quant op)
    assert sorted(manifest["gemv_units"]) == ["w4a16_gemv_fp16.cu", "w4a16_gemv_fp16_g128.cu",
                                              "w4a16_gemv_stubs.cu"]
    group = (tmp_path / "w4a16_gemv_fp16_g128.cu").read_text()
    assert "template void check_pointer<D, 128>" in group
    assert "ColumnMajorInterleavedForHopper" in group
    assert "check_alpha<D, 128, false, true, true>" in group  # zeros not selected: stubbed
    activation = (tmp_path / "w4a16_gemv_fp16.cu").read_text()
    assert "void check_pointer<D, 64>(Params&, cudaStream_t) {" in activation
    # The tree's launcher header pulls in its .inl: the launcher units include the header.
    unit = (tmp_path / "w4a16_launchers_00.cu").read_text()
    assert instantiations.LAUNCHER_H in unit and instantiations.LAUNCHER_INL not in unit


def full_binary() -> Path:
    env = os.environ.get("W4A16_FULL_BINARY")
    binary = Path(env) if env else paths.build_dir("ci", full_tree=True) / paths.TARGET
    if not binary.is_file():
        pytest.skip(f"no full-tree test binary at {binary} (ci/test.py builds it where a "
                    "TensorRT-LLM tree with the runner is found; or set W4A16_FULL_BINARY)")
    return binary


def test_full_tree_binary_has_the_gemv_and_the_cross_checks() -> None:
    binary = full_binary()
    listing = subprocess.run([str(binary), "--gtest_list_tests"], capture_output=True,
                             text=True, timeout=120, check=True).stdout
    assert "TrtllmPreprocessingStepsMatchOursOnEveryCaseShape" in listing
    assert "__cuda_core_gemv" in listing
    bench = binary.with_name(paths.BENCH_TARGET)
    records = [json.loads(ln) for ln in subprocess.run(
        [str(bench), "--list"], capture_output=True, text=True, timeout=120,
        check=True).stdout.splitlines()]
    gemv = [r for r in records if r["tactic"] == tx.GEMV_TACTIC]
    assert len(gemv) == 1 and gemv[0]["config_index"] == len(records) - 1
    info = json.loads((binary.parent / "build_info.json").read_text())
    assert info["build"] == "full-tree"
    assert gemv[0]["compiled"]["fp16/scale_only"] == ("128" in info["filter"])


def test_tools_default_to_the_main_job_built_last(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    monkeypatch.delenv("W4A16_BINARY", raising=False)
    assert paths.default_binary() == tmp_path / "build" / "slim" / paths.TARGET  # neither built
    for folder, mtime in (("slim", 100), ("full", 200)):
        binary = tmp_path / "build" / folder / paths.TARGET
        binary.parent.mkdir(parents=True)
        binary.write_text("")
        os.utime(binary, (mtime, mtime))
    assert paths.default_binary() == tmp_path / "build" / "full" / paths.TARGET
    os.utime(tmp_path / "build" / "slim" / paths.TARGET, (300, 300))
    assert paths.default_binary() == tmp_path / "build" / "slim" / paths.TARGET
    monkeypatch.setenv("W4A16_BINARY", "/x/y")
    assert paths.default_binary() == Path("/x/y")
