"""The slim build's kernel fixes: applied to copies, inside a git checkout too."""

from __future__ import annotations

from pathlib import Path

import pytest
from patch_helpers import git
from w4a16 import paths, sources
from w4a16.errors import UserError
from w4a16.patches import overlay

# These tests rebuild the touched file from the workspace fix's own context lines, so they
# apply that fix alone; the whole series is applied to the real slice by CI's build.
WORKSPACE_FIX = "0002"
INL = "tensorrt_llm/kernels/cutlass_kernels/fpA_intB_gemm/launchers/fpA_intB_launcher_sm90.inl"


def _slice_from_hunk_context(root: Path) -> Path:
    """A made-up flashinfer data folder holding the patched file's old lines (from the patch)."""
    patch = overlay._series(overlay.SLICE_PATCHES)[0]  # the workspace fix
    lines: list[str] = []
    for raw in patch.read_text().splitlines(keepends=True):
        if raw.startswith("@@"):
            start = int(raw.split()[1].lstrip("-").split(",")[0])
            lines += [f"// filler {i}\n" for i in range(len(lines) + 1, start)]
        elif lines and raw[:1] in (" ", "-"):
            lines.append(raw[1:])
    target = root / "csrc" / "nv_internal" / INL
    target.parent.mkdir(parents=True)
    target.write_text("".join(lines))
    return root


def _real_sources_or_skip(kind: str) -> sources.KernelSources:
    """The real kernel sources of this kind ("tree": the submodule or ../shared/trtllm-tree;
    "slice": the flashinfer-python slice in the cache), or skip saying what is missing."""
    try:
        if kind == "tree":
            kernels = sources.locate_kernels(None, paths.cache_dir(), fetch=False)
            if kernels.kind != "trtllm-checkout":
                pytest.skip("no TensorRT-LLM tree here (submodule or ../shared/trtllm-tree)")
            return kernels
        return sources.locate_slice(paths.cache_dir(), fetch=False)
    except UserError as exc:
        pytest.skip(f"the kernel sources are not here: {exc}")


def _build(kind: str, root: Path, dest: Path, fixes: str = "all",
           extra: list[Path] | None = None) -> tuple[Path, list[str]]:
    """The overlay as `w4a16 build` makes it: the chosen patches, then applied."""
    patches = overlay.overlay_patches(kind, root, fixes, extra)
    return overlay.build_overlay(kind, root, dest, patches)


def test_fix_is_applied_to_a_copy_inside_a_git_checkout(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")  # the overlay lives inside a repository, as build/ does
    data = _slice_from_hunk_context(tmp_path / "data")
    original = (data / "csrc" / "nv_internal" / INL).read_text()
    dest, applied = _build("flashinfer-cache", data, tmp_path / "build" / "ov", WORKSPACE_FIX)
    assert applied == ["0002-sm90-launcher-refuse-small-workspace.patch"]
    patched = (dest / INL).read_text()
    assert "given workspace size insufficient: need" in patched
    assert "TLLM_LOG_ERROR" not in patched
    assert (data / "csrc" / "nv_internal" / INL).read_text() == original  # source untouched


def test_sources_that_already_have_the_fix_are_copied_as_is(tmp_path: Path) -> None:
    data = _slice_from_hunk_context(tmp_path / "data")
    dest, _ = _build("flashinfer-cache", data, tmp_path / "ov1", WORKSPACE_FIX)
    (data / "csrc" / "nv_internal" / INL).write_text((dest / INL).read_text())
    _, applied = _build("flashinfer-cache", data, tmp_path / "ov2", WORKSPACE_FIX)
    assert applied == ["0002-sm90-launcher-refuse-small-workspace.patch (already in the sources)"]


def test_other_sources_are_a_clear_error(tmp_path: Path) -> None:
    data = _slice_from_hunk_context(tmp_path / "data")
    (data / "csrc" / "nv_internal" / INL).write_text("// some other version\n")
    with pytest.raises(UserError, match="does not apply"):
        _build("flashinfer-cache", data, tmp_path / "ov", WORKSPACE_FIX)
    missing = tmp_path / "empty"
    missing.mkdir()
    with pytest.raises(UserError, match="does not have"):
        _build("flashinfer-cache", missing, tmp_path / "ov3")


def test_older_launcher_family_is_named_in_the_error(tmp_path: Path) -> None:
    """A launcher with the older error spelling: the error names the family the fixes need."""
    data = _slice_from_hunk_context(tmp_path / "data")
    inl = data / "csrc" / "nv_internal" / INL
    inl.write_text(inl.read_text().replace("[TensorRT LLM Error]", "[TensorRT-LLm Error]"))
    with pytest.raises(UserError) as err:
        _build("flashinfer-cache", data, tmp_path / "ov", WORKSPACE_FIX)
    message = str(err.value)
    assert "\n" not in message
    assert "is an older launcher" in message and "'[TensorRT-LLm Error]' messages" in message
    assert "the kernel fixes support the stream-K launcher" in message


def test_fixes_are_selected_by_number_prefix(tmp_path: Path) -> None:
    series = [tmp_path / "0002-a.patch", tmp_path / "0003-b.patch"]
    assert overlay.select_fixes(series, "all") == series
    assert overlay.select_fixes(series, "none") == []
    assert overlay.select_fixes(series, "0003") == series[1:]
    with pytest.raises(UserError, match="no fix starts with 0009"):
        overlay.select_fixes(series, "0002,0009")


def test_kernel_fixes_none_leaves_the_sources_as_shipped(tmp_path: Path) -> None:
    data = _slice_from_hunk_context(tmp_path / "data")
    dest, applied = _build("flashinfer-cache", data, tmp_path / "ov", "none")
    assert applied == []
    assert not (dest / INL).exists()


def test_missing_experiment_patch_is_a_clear_error(tmp_path: Path) -> None:
    data = _slice_from_hunk_context(tmp_path / "data")
    with pytest.raises(UserError, match="experiment patch .* does not exist"):
        _build("flashinfer-cache", data, tmp_path / "ov", "all", [tmp_path / "nope.patch"])


def test_overlay_mirrors_include_folders_it_has_files_under(tmp_path: Path) -> None:
    data = tmp_path / "data"
    base = data / "csrc" / "nv_internal"
    ext_inc = base / "tensorrt_llm" / "cutlass_extensions" / "include"
    other_inc = base / "include"
    for d in (ext_inc, other_inc):
        d.mkdir(parents=True)
    ov = tmp_path / "ov"
    (ov / "tensorrt_llm" / "cutlass_extensions" / "include" / "x").mkdir(parents=True)
    first = overlay.overlay_includes(ov, "flashinfer-cache", data,
                                     [ext_inc, other_inc, tmp_path / "elsewhere"])
    assert first == [ov, ov / "tensorrt_llm" / "cutlass_extensions" / "include"]


EXPERIMENTS = sorted(overlay.EXPERIMENT_PATCHES.glob("*.patch"))


def test_every_experiment_names_its_kind_of_sources() -> None:
    assert EXPERIMENTS
    for patch in EXPERIMENTS:
        assert patch.name.startswith(("slice-", "tree-")), patch.name


@pytest.mark.parametrize("patch", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_experiment_patches_apply_to_the_real_sources_after_the_fixes(tmp_path: Path,
                                                                     patch: Path) -> None:
    """The experiments must still apply when a GPU run builds them: slice-* to the flashinfer
    slice, tree-* to a TensorRT-LLM tree (the submodule or ../shared/trtllm-tree)."""
    kernels = _real_sources_or_skip("tree" if patch.name.startswith("tree-") else "slice")
    _, applied = _build(kernels.kind, kernels.root, tmp_path / "ov",
                        overlay.experiment_fixes(patch), [patch])
    assert applied[-1] == patch.name


def test_an_experiment_names_the_fixes_it_applies_on(tmp_path: Path) -> None:
    plain = tmp_path / "plain.patch"
    plain.write_text("What it tries.\n\ndiff --git a/x b/x\n")
    assert overlay.experiment_fixes(plain) == overlay.EXPERIMENT_FIXES
    named = tmp_path / "named.patch"
    named.write_text("What it tries.\nApply on: --kernel-fixes 0002,0004\n\ndiff --git a/x b/x\n"
                     "+Apply on: --kernel-fixes all\n")
    assert overlay.experiment_fixes(named) == "0002,0004"


def test_experiment_patch_on_the_whole_series_says_which_fixes_it_needs(tmp_path: Path) -> None:
    try:
        kernels = sources.locate_slice(paths.cache_dir(), fetch=False)
    except UserError as exc:
        pytest.skip(f"the kernel sources are not here: {exc}")
    knobs = overlay.EXPERIMENT_PATCHES / "slice-launcher-knobs.patch"
    with pytest.raises(UserError, match=f"--kernel-fixes {overlay.EXPERIMENT_FIXES}"):
        _build(kernels.kind, kernels.root, tmp_path / "ov", "all", [knobs])


def test_copied_headers_bring_what_they_include_from_above_their_folder(tmp_path: Path) -> None:
    """A patched folder's header that includes "../include/common.h" (TensorRT-LLM's
    fpA_intB_gemm.h does) must find it from its copy in the overlay, transitively."""
    base, dest = tmp_path / "tree", tmp_path / "ov"
    for rel, text in {
        "k/gemm/api.h": '#include "../include/common.h"\n#include "sibling.h"\n',
        "k/include/common.h": ('#pragma once\n#include "../../top.h"\n'
                               '#include "../../../outside.h"\n'),
        "top.h": "// top\n",
        "k/other/unrelated.h": "// not included\n",
    }.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)
    (tmp_path / "outside.h").write_text("// beside the tree, not in it\n")
    overlay._copy_upward_includes(base / "k/gemm/api.h", base, dest)
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert copied == ["k/include/common.h", "top.h"]
    assert (dest / "k/include/common.h").read_text() == (base / "k/include/common.h").read_text()


@pytest.mark.parametrize("kind", ["tree", "slice"])
def test_the_patched_sources_say_whether_they_have_the_256_row_tiles(tmp_path: Path,
                                                                      kind: str) -> None:
    """Fix 0008 defines the 256-row tiles' macro in gemm_configs.h and edits the heuristic's
    .cpp: the build then offers those tiles and compiles the .cpp from the overlay."""
    kernels = _real_sources_or_skip(kind)
    with_fix, applied = _build(kernels.kind, kernels.root, tmp_path / "all")
    fix = next(i for i, name in enumerate(applied) if name.startswith("0008"))
    assert overlay.has_row256_tiles(with_fix, kernels.kind, kernels.root)
    heuristic = next(f for f in kernels.common_sources if f.name == "cutlass_heuristic.cpp")
    copy = overlay.overlay_sources(with_fix, kernels.kind, kernels.root, [heuristic])[0]
    assert copy.is_relative_to(with_fix) and copy.name == heuristic.name
    earlier = ",".join(p[:4] for p in applied[:fix])
    without, _ = _build(kernels.kind, kernels.root, tmp_path / "earlier", earlier)
    assert not overlay.has_row256_tiles(without, kernels.kind, kernels.root)
    assert overlay.overlay_sources(without, kernels.kind, kernels.root, [heuristic]) == [heuristic]
