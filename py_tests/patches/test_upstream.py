"""The series against other TensorRT-LLM versions than the pin.

CPU tests build small made-up trees: a kernels CMakeLists.txt whose lines above the anchor
differ (the newest TensorRT-LLM dropped stopCriteriaKernelsTest there), one without the anchor,
one that registers our test by hand, and an SM90 launcher of the older family.

test_recorded_version_still_holds re-checks patches/upstream/tested_versions.json against the
stored upstream files themselves; it needs W4A16_UPSTREAM_VERSIONS (see drift.py) and is
skipped without it, as in CI: the upstream text is never committed here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from patch_helpers import add_files_from_hunk_context, commit_all, make_tree, write
from w4a16 import paths
from w4a16.errors import UserError
from w4a16.patches import compat, drift, series, upstream

CMAKELISTS = upstream.KERNELS_CMAKELISTS
NEXT_LINE = upstream.load_excerpt().after[0]
# Made-up neighbours; only the anchor and the line after it are TensorRT-LLM's.
ABOVE_OLD = ["add_gtest(madeUpSmoothTest madeUp.cpp)", "add_gtest(madeUpStopTest madeUpStop.cpp)"]
ABOVE_NEW = ["add_gtest(madeUpSmoothTest madeUp.cpp)"]


def _cmakelists(above: list[str], anchor: bool = True, after: tuple[str, ...] = ()) -> str:
    head = [f"# made-up header line {i}" for i in range(1, 15)]
    body = [*above, *([upstream.ANCHOR] if anchor else []), *after, NEXT_LINE, "", "# tail"]
    return "\n".join(head + body) + "\n"


@pytest.fixture
def full_patch_dir(tmp_path: Path, cpp_tests: Path) -> Path:
    """The series as `refresh` makes it, with the committed kernel fixes."""
    out = tmp_path / "full-series"
    series.write(series.generate(cpp_tests), out)
    return out


def _args(tree: Path, patch_dir: Path) -> list[str]:
    return ["--trtllm-dir", str(tree), "--patches-dir", str(patch_dir)]


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("above", [ABOVE_OLD, ABOVE_NEW, []], ids=["with-stop", "no-stop", "none"])
def test_registration_applies_whatever_precedes_the_anchor(run_cli, tmp_path, patch_dir,
                                                           above) -> None:
    tree = make_tree(tmp_path / "t", _cmakelists(above))
    code, out, _ = run_cli("patch", "apply", *_args(tree, patch_dir))
    assert code == 0 and "applied" in out
    lines = (tree / CMAKELISTS).read_text().splitlines()
    i = lines.index(upstream.ANCHOR)
    assert lines[i + 1 : i + 3] == [*series.REGISTRATION, NEXT_LINE]
    code, out, _ = run_cli("patch", "check", *_args(tree, patch_dir))
    assert code == 0 and "already applied" in out
    assert run_cli("patch", "revert", *_args(tree, patch_dir))[0] == 0
    assert (tree / CMAKELISTS).read_text() == _cmakelists(above)


def test_tree_without_the_anchor_is_refused_in_one_line(run_cli, tmp_path, patch_dir) -> None:
    tree = make_tree(tmp_path / "t", _cmakelists(ABOVE_NEW, anchor=False))
    for action in ("check", "apply"):
        code, out, err = run_cli("patch", action, *_args(tree, patch_dir))
        assert code == 2 and out == ""
        line = _one_error(err)
        assert f"{CMAKELISTS} has no line '{upstream.ANCHOR}'" in line
        assert "registers its test right after that line" in line
    assert "w4a16" not in (tree / CMAKELISTS).read_text()


def test_test_registered_by_hand_is_named(run_cli, tmp_path, patch_dir) -> None:
    tree = make_tree(tmp_path / "t", _cmakelists(ABOVE_NEW, after=series.REGISTRATION))
    code, _, err = run_cli("patch", "check", *_args(tree, patch_dir))
    assert code == 2 and f"already registers {paths.TARGET}" in _one_error(err)


def _tree_with_launcher(tmp_path: Path, full_patch_dir: Path) -> tuple[Path, Path]:
    tree = make_tree(tmp_path / "t", _cmakelists(ABOVE_NEW))
    add_files_from_hunk_context(tree, *sorted((full_patch_dir / "kernel").glob("*.patch")))
    (launcher,) = tree.rglob("*.inl")
    return tree, launcher


def test_whole_series_applies_to_the_supported_launcher(run_cli, tmp_path, full_patch_dir) -> None:
    tree, _ = _tree_with_launcher(tmp_path, full_patch_dir)
    code, out, _ = run_cli("patch", "apply", *_args(tree, full_patch_dir))
    assert code == 0 and out.startswith("applied: ") and "0003" in out


def test_older_launcher_is_refused_naming_the_supported_family(run_cli, tmp_path,
                                                               full_patch_dir) -> None:
    tree, launcher = _tree_with_launcher(tmp_path, full_patch_dir)
    launcher.write_text(launcher.read_text().replace("[TensorRT LLM Error]", compat.OLD_SPELLING))
    commit_all(tree, "made-up upstream change")
    code, _, err = run_cli("patch", "check", *_args(tree, full_patch_dir))
    line = _one_error(err)
    assert code == 2 and "0002-sm90-launcher-refuse-small-workspace.patch does not apply" in line
    assert "fpA_intB_launcher_sm90.inl is an older launcher" in line
    assert compat.SUPPORTED_LAUNCHER in line and "hunk #1" in line


def test_launcher_family_signs() -> None:
    good = f"using S = {compat.STREAM_K_SCHEDULER};\n// [TensorRT LLM Error]\n"
    assert compat.launcher_problem(good) is None
    old = compat.launcher_problem(f"// {compat.OLD_SPELLING}\n")
    assert old is not None and "no cutlass::gemm::StreamKScheduler" in old
    assert compat.registration_problem(_cmakelists(ABOVE_NEW)) is None
    assert "2 times" in (compat.registration_problem(_cmakelists([upstream.ANCHOR])) or "")


# --- the drift check, on a made-up folder of upstream versions ------------------------------


def _versions(root: Path) -> dict[str, tuple[str, str, str]]:
    """Three made-up versions: registration fits, registration does not, an older launcher."""
    made = {
        "fits": ("someone/TensorRT-LLM", "1" * 40, CMAKELISTS, _cmakelists(ABOVE_NEW)),
        "no-anchor": ("someone/TensorRT-LLM", "2" * 40, CMAKELISTS,
                      _cmakelists(ABOVE_NEW, anchor=False)),
        "old-launcher": ("other/TensorRT-LLM", "3" * 40, drift.LAUNCHER,
                         f"// {compat.OLD_SPELLING}\n"),
    }
    for repo, commit, path, text in made.values():
        write(drift.version_file(root, repo, commit, path), text)
    return {k: v[:3] for k, v in made.items()}


def test_drift_check_on_made_up_versions(tmp_path, full_patch_dir) -> None:
    root = tmp_path / "versions"
    made = _versions(root)
    patches = series.read_series(full_patch_dir)
    assert drift.scan(root) == sorted(made.values(), key=lambda v: drift.FILES.index(v[2]))
    got = {k: drift.check_version(root, *v, patches) for k, v in made.items()}
    assert got["fits"].result == "applies" and got["fits"].reason is None
    assert got["fits"].patches == {series.TEST_PATCH: "applies"}
    assert got["no-anchor"].result == "refused"
    assert f"has no line '{upstream.ANCHOR}'" in (got["no-anchor"].reason or "")
    assert "(in " not in (got["no-anchor"].reason or "")  # no scratch paths in the record
    assert "is an older launcher" in (got["old-launcher"].reason or "")
    launcher_patches = {p.name for p in patches[1:] if drift.LAUNCHER in p.files}
    assert set(got["old-launcher"].patches) == launcher_patches

    record = tmp_path / "tested.json"
    drift.write_record(list(got.values()), record)
    again = {v.key: v for v in drift.load_record(record)}
    assert all(drift.compare(v, again[v.key]) is None for v in got.values())
    changed = drift.version_file(root, *made["fits"])
    changed.write_text(changed.read_text() + "# upstream moved on\n")
    fresh = drift.check_version(root, *made["fits"], patches)
    assert "file differs" in (drift.compare(fresh, again[fresh.key]) or "")


def test_upstream_check_command(run_cli, tmp_path, full_patch_dir) -> None:
    root = tmp_path / "versions"
    _versions(root)
    record = tmp_path / "tested.json"
    args = ["--versions", str(root), "--patches-dir", str(full_patch_dir), "--record", str(record)]
    code, out, _ = run_cli("patch", "upstream-check", *args, "--write")
    assert code == 0 and "wrote 3 versions" in out
    code, out, _ = run_cli("patch", "upstream-check", *args)
    assert code == 0 and "all 3 versions match" in out
    (root / "other").rename(tmp_path / "moved")
    write(drift.version_file(root, "new/TensorRT-LLM", "4" * 40, CMAKELISTS), "# no anchor\n")
    code, out, err = run_cli("patch", "upstream-check", *args)
    assert code == 1 and "not in the record" in out and "1 of 3 versions differ" in err
    code, _, err = run_cli("patch", "upstream-check", "--versions", str(tmp_path / "none"))
    assert code == 2 and "is not a directory of upstream versions" in err


def test_bad_record_is_a_user_error(tmp_path) -> None:
    record = tmp_path / "tested.json"
    record.write_text('{"versions": [{"repo": "x"}]}')
    with pytest.raises(UserError, match="unexpected or missing fields"):
        drift.load_record(record)
    record.write_text("{")
    with pytest.raises(UserError, match="not valid JSON"):
        drift.load_record(record)


# --- the committed record ---------------------------------------------------------------------

RECORDED = drift.load_record()
# Named in /work/shared/FACTS.md: the ten CMakeLists versions first read, the two launchers.
NVIDIA = "NVIDIA/TensorRT-LLM"


def test_record_covers_the_versions_that_motivated_it() -> None:
    by = {(v.repo, v.commit[:8], v.path): v for v in RECORDED}
    for short in ("026da036", "9f64fe8e", "02299c70", "7ed07f06", "6c7cc708", "24de1aa3",
                  "6d0b50ee", "cf80e8eb", "1a336841", "67705d21"):
        assert by[(NVIDIA, short, CMAKELISTS)].result == "applies", short
    assert by[(NVIDIA, "2a9abd95", drift.LAUNCHER)].result == "applies"
    old = by[(NVIDIA, "03cff08f", drift.LAUNCHER)]
    assert old.result == "refused" and "is an older launcher" in (old.reason or "")


@pytest.mark.parametrize("version", RECORDED,
                         ids=[f"{v.path.rsplit('/', 1)[-1]}-{v.repo}-{v.commit[:8]}"
                              for v in RECORDED])
def test_recorded_version_still_holds(version: drift.Version, tmp_path: Path,
                                      cpp_tests: Path) -> None:
    folder = os.environ.get(drift.ENV)
    if not folder:
        pytest.skip(f"set {drift.ENV} to a folder of stored TensorRT-LLM versions "
                    "(<owner>/<repo>/<commit>/<path>) to re-check the record")
    root = Path(folder)
    if not drift.version_file(root, version.repo, version.commit, version.path).is_file():
        pytest.skip(f"{version.repo} {version.commit[:8]} {version.path} is not in {root}")
    # The series as `refresh` makes it from this checkout (test_generate checks that the
    # committed one is the same); the test sources do not matter to either file's hunks.
    out = tmp_path / "series"
    series.write(series.generate(paths.CPP_TESTS if (paths.CPP_TESTS / "w4a16_sm90_simple_test.cu")
                                 .is_file() else cpp_tests), out)
    found = drift.check_version(root, version.repo, version.commit, version.path,
                                series.read_series(out))
    assert drift.compare(found, version) is None
