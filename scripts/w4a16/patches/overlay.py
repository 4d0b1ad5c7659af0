"""Apply our kernel fixes to a copy of the files they touch, for the slim build.

The slim build must compile the same kernels a patched TensorRT-LLM tree would. Rather than
editing the kernel sources in place (a user's checkout, or the shared cache of the
flashinfer slice), the touched files are copied under the build folder, patched there, and
that folder goes first on the include path.

* flashinfer slice: `patches/slice/` (same fix, the slice's formatting), paths relative to
  `csrc/nv_internal`;
* TensorRT-LLM checkout: the hand-written `patches/kernel/` patches of the series, paths
  relative to the tree (`cpp/...`); a checkout that already has them applied is copied as is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from w4a16 import paths
from w4a16 import tactics as tx
from w4a16.errors import UserError
from w4a16.patches import compat

SLICE_PATCHES = paths.PATCHES / "slice"
KERNEL_PATCHES = paths.PATCHES / "kernel"
EXPERIMENT_PATCHES = paths.PATCHES / "experiments"  # measurement only, never in the series
# The experiment patches were written and measured on top of this selection of the series
# (`--kernel-fixes`); later fixes touch the same lines, so they need it to apply. One written
# on another selection names it in its description: "Apply on: --kernel-fixes SELECTION".
EXPERIMENT_FIXES = "0002"
_TARGET = re.compile(r"^\+\+\+ b/(\S+)$", re.MULTILINE)
_APPLY_ON = re.compile(r"^Apply on: --kernel-fixes (\S+)$", re.MULTILINE)


def experiment_fixes(patch: Path) -> str:
    """The `--kernel-fixes` selection an experiment patch applies on top of."""
    text = patch.read_text()
    found = _APPLY_ON.search(text.split("\ndiff --git ", 1)[0])
    return found.group(1) if found else EXPERIMENT_FIXES


def _series(folder: Path) -> list[Path]:
    listed = folder / "series"
    if listed.is_file():
        names = [ln.strip() for ln in listed.read_text().splitlines()]
        return [folder / n for n in names if n and not n.startswith("#")]
    return sorted(folder.glob("*.patch"))


def _git_apply(cwd: Path, patch: Path, strip: int, *extra: str) -> subprocess.CompletedProcess:
    # The overlay usually sits inside a git checkout (build/ of this repository); inside a
    # repository `git apply` silently skips paths outside the current folder, so stop it from
    # finding the enclosing repository.
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(cwd.parent), "LC_ALL": "C"}
    return subprocess.run(["git", "apply", f"-p{strip}", *extra, str(patch)], cwd=cwd,
                          capture_output=True, text=True, env=env)


def _layout(kind: str, kernel_root: Path) -> tuple[list[Path], Path, int]:
    """(the kernel fixes for this kind of tree, the folder their paths start in, -p strip)."""
    if kind == "trtllm-checkout":
        return _series(KERNEL_PATCHES), kernel_root / "cpp", 2
    return _series(SLICE_PATCHES), kernel_root / "csrc" / "nv_internal", 1


_UPWARD_INCLUDE = re.compile(r'^\s*#\s*include\s+"((?:\.\./)+[^"]+)"', re.MULTILINE)


def _copy_upward_includes(src: Path, base: Path, dest: Path) -> None:
    """Copy into the overlay what `src` includes by a path that climbs out of its folder
    (`"../include/common.h"`): the copy of `src` in the overlay resolves that path against its
    own folder there, where nothing else of the tree is. Followed transitively; files outside
    the kernel tree are left to the include path."""
    for target in _UPWARD_INCLUDE.findall(src.read_text(errors="replace")):
        found = (src.parent / target).resolve()
        try:
            rel = found.relative_to(base.resolve())
        except ValueError:
            continue
        if found.is_file() and not (dest / rel).exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(found, dest / rel)
            _copy_upward_includes(found, base, dest)


def overlay_includes(overlay: Path, kind: str, kernel_root: Path,
                     include_dirs: list[Path]) -> list[Path]:
    """The include folders to put first so that patched copies win: the overlay root, and for
    each kernel include folder (e.g. cutlass_extensions/include) its mirror in the overlay,
    where the overlay holds files below it. Headers included relative to such a folder
    (`"cutlass_extensions/gemm/..."`) would otherwise still be found in the original tree."""
    base = _layout(kind, kernel_root)[1]
    first = [overlay]
    for inc in include_dirs:
        try:
            rel = inc.resolve().relative_to(base.resolve())
        except ValueError:
            continue
        mirror = overlay / rel
        if rel.parts and mirror.is_dir() and mirror not in first:
            first.append(mirror)
    return first


def overlay_sources(overlay: Path, kind: str, kernel_root: Path,
                    files: list[Path]) -> list[Path]:
    """`files` with each patched one replaced by its copy in the overlay: a source file (the
    heuristic's .cpp) is compiled by its path, so the include order cannot shadow it."""
    base = _layout(kind, kernel_root)[1].resolve()
    out = []
    for f in files:
        try:
            copy = overlay / f.resolve().relative_to(base)
        except ValueError:
            copy = None
        out.append(copy if copy is not None and copy.is_file() else f)
    return out


def has_row256_tiles(overlay: Path, kind: str, kernel_root: Path) -> bool:
    """Whether the kernels compiled from this overlay and tree offer the 256-row tiles: their
    gemm_configs.h (the overlay's patched copy, else the tree's) defines the macro of fix 0008."""
    rel = Path("tensorrt_llm/cutlass_extensions/include/cutlass_extensions/gemm_configs.h")
    for candidate in (overlay / rel, _layout(kind, kernel_root)[1] / rel):
        if candidate.is_file():
            return tx.ROW256_MACRO in candidate.read_text(errors="replace")
    return False


def select_fixes(patches: list[Path], spec: str) -> list[Path]:
    """Pick kernel fixes by `spec`: "all", "none", or comma-separated number prefixes
    ("0002,0003"), so a benchmark can build the sources before and after one fix."""
    if spec == "all":
        return patches
    if spec == "none":
        return []
    wanted = [w.strip() for w in spec.split(",") if w.strip()]
    chosen = [p for p in patches if any(p.name.startswith(w) for w in wanted)]
    missing = [w for w in wanted if not any(p.name.startswith(w) for p in patches)]
    if missing:
        names = ", ".join(p.name for p in patches) or "none"
        raise UserError(f"--kernel-fixes {spec}: no fix starts with {', '.join(missing)} "
                        f"(the series has: {names})")
    return chosen


def overlay_patches(kind: str, kernel_root: Path, fixes: str = "all",
                    extra: list[Path] | None = None) -> list[Path]:
    """The patches an overlay applies, in order: the chosen fixes of the series for this kind
    of tree (see select_fixes), then the experiment patches `extra`."""
    for patch in extra or []:
        if not patch.is_file():
            raise UserError(f"experiment patch {patch} does not exist")
    series = _layout(kind, kernel_root)[0]
    return select_fixes(series, fixes) + [p.resolve() for p in extra or []]


def build_overlay(kind: str, kernel_root: Path, dest: Path,
                  patches: list[Path]) -> tuple[Path, list[str]]:
    """Patch copies of the touched files into dest; returns (dest, names of patches applied).

    kind: the locator's kind ("trtllm-checkout" or a flashinfer one); kernel_root: the tree
    root for a checkout, the flashinfer data folder otherwise; patches: from overlay_patches,
    which the caller keeps (the build hashes exactly the files applied).
    """
    _, base, strip = _layout(kind, kernel_root)
    dest = dest.resolve()  # GIT_CEILING_DIRECTORIES only takes absolute paths
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    applied = []
    for patch in patches:
        targets = _TARGET.findall(patch.read_text())
        if not targets:
            raise UserError(f"kernel patch {patch} names no file to change")
        for target in targets:
            rel = Path(*Path(target).parts[strip - 1:])
            src = base / rel
            if not src.is_file():
                raise UserError(f"{patch.name} edits {rel}, which {base} does not have")
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            # The patched file's folder comes along whole: a sibling that includes it by a
            # relative path (a launcher header pulling in its .inl) must find the patched copy.
            for sibling in src.parent.iterdir():
                if sibling.is_file() and not (dest / rel).with_name(sibling.name).exists():
                    shutil.copy2(sibling, (dest / rel).with_name(sibling.name))
                    _copy_upward_includes(sibling, base, dest)
        if _git_apply(dest, patch, strip, "--reverse", "--check").returncode == 0:
            applied.append(f"{patch.name} (already in the sources)")
            continue
        proc = _git_apply(dest, patch, strip)
        changed = any((dest / Path(*Path(t).parts[strip - 1:])).read_bytes()
                      != (base / Path(*Path(t).parts[strip - 1:])).read_bytes() for t in targets)
        if proc.returncode != 0 or not changed:
            first = (proc.stderr.strip().splitlines() or ["git apply changed nothing"])[0]
            # An older launcher family: say so rather than only which hunk failed.
            why = compat.explain([Path(*Path(t).parts[strip - 1:]).as_posix() for t in targets],
                                 base)
            first = f"{why} ({first})" if why else first
            hint = (f" (this experiment patch applies on top of --kernel-fixes "
                    f"{experiment_fixes(patch)})"
                    if patch.parent == EXPERIMENT_PATCHES.resolve() else "")
            raise UserError(f"kernel patch {patch.name} does not apply to {base}: {first}"
                            + hint)
        applied.append(patch.name)
    return dest, applied
