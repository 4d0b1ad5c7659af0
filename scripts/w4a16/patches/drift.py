"""Check the series against stored versions of the TensorRT-LLM files it edits.

Users apply the series to their own TensorRT-LLM checkout, rarely at our pin. The record
patches/upstream/tested_versions.json lists, per upstream file, the versions it was checked
against: repository, commit, SHA-256 of the file, and whether the patches that edit that file
apply ("applies") or are refused (with the one-line reason `w4a16 patch check` gives). The
upstream text itself is never committed; it lives in a folder outside the repository:

    VERSIONS/<owner>/<repo>/<commit>/<path of the file in the repository>

`w4a16 patch upstream-check --versions VERSIONS` re-checks every file found there (and
`--write` records the results); py_tests/patches/test_upstream.py does the same when the
environment variable W4A16_UPSTREAM_VERSIONS names such a folder.

Each version is checked alone: a scratch git tree holds TensorRT-LLM's marker paths and that
one file, and only the patches of the series that edit the file are checked against it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from w4a16 import paths
from w4a16.errors import UserError
from w4a16.patches import compat, gitapply, series, upstream
from w4a16.patches.series import Patch

RECORD = paths.PATCHES / "upstream" / "tested_versions.json"
ENV = "W4A16_UPSTREAM_VERSIONS"
LAUNCHER = f"cpp/{compat.LAUNCHER}"
# The SM90 mixed-input collective that fix 0004 edits.
COLLECTIVE = ("cpp/tensorrt_llm/cutlass_extensions/include/cutlass_extensions/gemm/collective/"
              "sm90_mma_interleaved_tma_gmma_rs_warpspecialized_mixed_input.hpp")
# The SM90 dispatch that fix 0006 edits.
DISPATCH = "cpp/tensorrt_llm/kernels/cutlass_kernels/fpA_intB_gemm/fpA_intB_gemm_template_sm90.h"
# The CUDA-core GEMV's dispatch that fix 0007 edits.
GEMV_DISPATCH = "cpp/tensorrt_llm/kernels/weightOnlyBatchedGemv/kernelDispatcher.h"
# The SM90 tile enum and the heuristic's candidate list that fix 0008 edits.
GEMM_CONFIGS = "cpp/tensorrt_llm/cutlass_extensions/include/cutlass_extensions/gemm_configs.h"
HEURISTIC = "cpp/tensorrt_llm/kernels/cutlass_kernels/cutlass_heuristic.cpp"
# The launcher's header, where fix 0009 moves fix 0003's decomposition so the dispatch can use it.
LAUNCHER_HEADER = LAUNCHER.removesuffix(".inl") + ".h"
# The CUDA-core GEMV's device helpers, whose epilogue fix 0011 edits.
GEMV_UTILITY = "cpp/tensorrt_llm/kernels/weightOnlyBatchedGemv/utility.h"
FILES = (upstream.KERNELS_CMAKELISTS, LAUNCHER, COLLECTIVE, DISPATCH, GEMV_DISPATCH, GEMM_CONFIGS,
         HEURISTIC, LAUNCHER_HEADER, GEMV_UTILITY)
RESULTS = ("applies", "refused")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_IN_TREE = re.compile(r" \(in [^()]*\)$")


@dataclass(frozen=True)
class Version:
    """One stored version of an upstream file and what the series does with it."""

    repo: str  # owner/name on GitHub
    commit: str
    path: str  # the file, relative to the repository
    sha256: str
    result: str  # "applies" or "refused"
    reason: str | None = None  # for "refused": the one-line error
    patches: dict[str, str] = field(default_factory=dict)  # each patch alone: applies or not

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.repo, self.commit)


def version_file(root: Path, repo: str, commit: str, path: str) -> Path:
    return root / repo / commit / path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def patches_for(path: str, patches: Sequence[Patch]) -> list[Patch]:
    """The patches of the series that edit `path`, in series order."""
    return [p for p in patches if path in p.files]


def _scratch_tree(root: Path, path: str, data: bytes) -> Path:
    (root / "cpp/tensorrt_llm").mkdir(parents=True)
    (root / upstream.KERNELS_CMAKELISTS).parent.mkdir(parents=True)
    (root / upstream.KERNELS_CMAKELISTS).write_text("# a marker, not the file under test\n")
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes(data)
    out = subprocess.run(["git", "init", "-q", str(root)], capture_output=True, text=True)
    if out.returncode != 0:
        raise UserError(f"git init failed in {root}: {out.stderr.strip()}")
    return root


def _restricted(patch: Patch, path: str, folder: Path) -> Patch:
    """`patch` with only its sections for `path` and the files it creates: a fix that edits
    several files (0008) is checked file by file, each version alone in a scratch tree."""
    intro, *sections = patch.path.read_text(encoding="utf-8").split("\ndiff --git ")
    kept = [s for s in sections
            if s.startswith(f"a/{path} b/{path}\n") or "\n--- /dev/null\n" in s]
    if len(kept) == len(sections):
        return patch
    folder.mkdir(parents=True, exist_ok=True)
    reduced = folder / patch.path.name
    reduced.write_text("\ndiff --git ".join([intro, *kept]).rstrip("\n") + "\n", encoding="utf-8")
    return series.parse_patch(reduced)


def check_bytes(path: str, data: bytes, patches: Sequence[Patch]) -> tuple[str, str | None]:
    """("applies", None) or ("refused", one-line reason) for `patches` on this file content."""
    mine = patches_for(path, patches)
    if not mine:
        raise UserError(f"no patch of the series edits {path}")
    with tempfile.TemporaryDirectory(prefix="w4a16-upstream-") as tmp:
        mine = [_restricted(p, path, Path(tmp) / "patches") for p in mine]
        tree = _scratch_tree(Path(tmp) / "tree", path, data)
        try:
            gitapply.check(tree, mine, allow_dirty=True)
        except UserError as e:
            return "refused", _IN_TREE.sub("", str(e))
    return "applies", None


def check_version(root: Path, repo: str, commit: str, path: str,
                  patches: Sequence[Patch]) -> Version:
    """Check the stored file root/repo/commit/path against the series."""
    file = version_file(root, repo, commit, path)
    data = file.read_bytes()
    result, reason = check_bytes(path, data, patches)
    alone = {p.name: check_bytes(path, data, [p])[0] for p in patches_for(path, patches)}
    return Version(repo, commit, path, sha256(data), result, reason, alone)


def scan(root: Path) -> list[tuple[str, str, str]]:
    """(repo, commit, path) of every stored version of FILES under root, sorted."""
    if not root.is_dir():
        raise UserError(f"{root} is not a directory of upstream versions")
    found = []
    for commit_dir in sorted(root.glob("*/*/*")):
        if not commit_dir.is_dir() or not _SHA1.fullmatch(commit_dir.name):
            continue
        repo = f"{commit_dir.parent.parent.name}/{commit_dir.parent.name}"
        found += [(repo, commit_dir.name, p) for p in FILES if (commit_dir / p).is_file()]
    if not found:
        raise UserError(
            f"{root} holds no upstream versions (expected <owner>/<repo>/<commit>/"
            f"{upstream.KERNELS_CMAKELISTS} or .../{LAUNCHER})"
        )
    return sorted(found, key=lambda v: (FILES.index(v[2]), v[0], v[1]))


def load_record(path: Path = RECORD) -> list[Version]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path} not found") from None
    except json.JSONDecodeError as e:
        raise UserError(f"{path} is not valid JSON: {e}") from None
    versions = []
    for i, entry in enumerate(data.get("versions", [])):
        try:
            v = Version(**entry)
        except TypeError:
            raise UserError(f"{path}: entry {i} has unexpected or missing fields") from None
        bad = (
            not _SHA1.fullmatch(v.commit)
            or not _SHA256.fullmatch(v.sha256)
            or v.result not in RESULTS
            or v.path not in FILES
            or (v.result == "refused") != bool(v.reason)
        )
        if bad:
            raise UserError(f"{path}: entry {i} ({v.repo} {v.commit[:8]} {v.path}) is malformed")
        versions.append(v)
    return versions


def write_record(versions: Sequence[Version], path: Path = RECORD) -> None:
    data = {
        "about": (
            "Stored public versions of the TensorRT-LLM files the patch series edits, and "
            "whether the patches that edit each file apply to it. Written by `w4a16 patch "
            "upstream-check --write`; see scripts/w4a16/patches/drift.py."
        ),
        "versions": [asdict(v) for v in sorted(versions, key=lambda v: (FILES.index(v.path),
                                                                       v.repo, v.commit))],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def compare(found: Version, recorded: Version | None) -> str | None:
    """What differs between a fresh check and the record, or None."""
    if recorded is None:
        return "not in the record"
    if found.sha256 != recorded.sha256:
        return f"file differs from the recorded one (sha256 {found.sha256[:12]}...)"
    if (found.result, found.reason) != (recorded.result, recorded.reason):
        now = found.result + (f" ({found.reason})" if found.reason else "")
        return f"recorded {recorded.result}, now {now}"
    if found.patches != recorded.patches:
        return f"per-patch results changed: {found.patches}"
    return None
