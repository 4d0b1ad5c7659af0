"""Apply, check, revert and inspect the series in a TensorRT-LLM checkout with `git apply`.

`git apply` only touches the working tree: nothing is staged or committed. To tell
"applied", "not applied" and "conflicts" apart without writing to the tree, the patches are
first tried (forward or --reverse) on a scratch copy of the files they touch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from w4a16.errors import UserError
from w4a16.patches import compat, upstream
from w4a16.patches.series import Patch

_PATCH_FAILED = re.compile(r"^error: patch failed: (.+):(\d+)$")
_FILE_ERROR = re.compile(r"^error: (.+?): (.+)$")


def _git(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # English messages: we parse git's diagnostics. The ceiling stops git looking above the
    # folder: a scratch copy (see _trial) is then no repository, and a tree without its own
    # .git is not mistaken for part of an enclosing checkout.
    env = {
        **os.environ,
        "LC_ALL": "C",
        "LANGUAGE": "C",
        "GIT_CEILING_DIRECTORIES": str(tree.parent),
    }
    try:
        return subprocess.run(
            ["git", *args], cwd=tree, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UserError("git not found on PATH; it is needed to patch TensorRT-LLM") from None


def check_tree(trtllm_dir: Path) -> Path:
    """The resolved checkout, after making sure it is a TensorRT-LLM git checkout's top."""
    if not trtllm_dir.is_dir():
        raise UserError(f"{trtllm_dir} is not a directory (expected a TensorRT-LLM checkout)")
    tree = trtllm_dir.resolve()
    missing = [m for m in upstream.MARKERS if not (tree / m).exists()]
    if missing:
        hint = ""
        if not any(tree.iterdir()):
            hint = " (empty; for the submodule run `git submodule update --init`)"
        raise UserError(
            f"{trtllm_dir} is not a TensorRT-LLM source tree{hint}: missing {', '.join(missing)}"
        )
    top = _git(tree, "rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != tree:
        raise UserError(
            f"{trtllm_dir} is not the top of a git checkout; patching needs a git clone of "
            "TensorRT-LLM"
        )
    return tree


def head_commit(tree: Path) -> str | None:
    out = _git(tree, "rev-parse", "--verify", "-q", "HEAD")
    return out.stdout.strip() if out.returncode == 0 else None


def pin_mismatch(tree: Path, pin: str = upstream.PINNED_COMMIT) -> str | None:
    """A warning when the checkout is not at the commit the patches were made for."""
    head = head_commit(tree)
    if head == pin:
        return None
    return (
        f"{tree} is at {head or 'no commit'}, but the patches were made for "
        f"{pin} ({upstream.PINNED_NAME}); they may not apply or build"
    )


def dirty_files(tree: Path, files: Sequence[str]) -> list[str]:
    """Those of `files` with local changes (modified, staged, or untracked)."""
    if not files:
        return []
    out = _git(tree, "status", "--porcelain", "--untracked-files=all", "--", *files)
    if out.returncode != 0:
        raise UserError(f"git status failed in {tree}: {out.stderr.strip()}")
    return sorted({line[3:].strip() for line in out.stdout.splitlines() if line.strip()})


def _apply_one(root: Path, patch: Patch, reverse: bool) -> subprocess.CompletedProcess[str]:
    args = ["apply", "--whitespace=nowarn", *(["--reverse"] if reverse else [])]
    return _git(root, *args, str(patch.path.resolve()))


def _run(root: Path, patches: Sequence[Patch], reverse: bool) -> str | None:
    """(Un)apply patches one at a time in root (last first when reversing).

    One `git apply` per patch: a single run over several patches does not chain reversed
    patches that touch the same file. Returns None, or what failed in one line.
    """
    for patch in reversed(patches) if reverse else patches:
        out = _apply_one(root, patch, reverse)
        if out.returncode != 0:
            if reverse:
                return f"{patch.name} cannot be reverted: {_explain(patch, out.stderr)}"
            # Say why the tree does not fit (no anchor line, an older launcher) where we can.
            why = compat.explain(patch.files, root)
            detail = _explain(patch, out.stderr)
            return f"{patch.name} does not apply: " + (f"{why} ({detail})" if why else detail)
    return None


def _trial(tree: Path, patches: Sequence[Patch], reverse: bool = False) -> str | None:
    """Like _run, but on a scratch copy of the files the patches touch: the tree is untouched."""
    if not patches:
        return None
    with tempfile.TemporaryDirectory(prefix="w4a16-patch-") as tmp:
        root = Path(tmp) / "tree"
        root.mkdir()
        for name in {f for p in patches for f in p.files}:
            if (tree / name).is_file():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(tree / name, root / name)
        # Outside any repository, git apply patches plain files, as in the tree's work tree.
        return _run(root, patches, reverse)


def _explain(patch: Patch, stderr: str) -> str:
    """Turn `git apply` errors into 'FILE hunk #N (@@ .. @@) does not match' and similar."""
    reasons: list[str] = []
    named: set[str] = set()
    for line in stderr.splitlines():
        if m := _PATCH_FAILED.match(line):
            file, at = m.group(1), int(m.group(2))
            hunk = patch.hunk_at(file, at)
            where = f"hunk #{hunk.number} ({hunk.header})" if hunk else f"the hunk at line {at}"
            reasons.append(f"{file} {where} does not match")
            named.add(file)
        elif (m := _FILE_ERROR.match(line)) and m.group(1) not in named:
            file, what = m.group(1), m.group(2)
            if what == "patch does not apply":
                continue
            if what == "already exists in working directory":
                what = "already exists"
            reasons.append(f"{file}: {what}")
            named.add(file)
    if not reasons:
        first = next((x for x in stderr.splitlines() if x.strip()), "git apply failed")
        reasons.append(first.removeprefix("error: "))
    return "; ".join(reasons)


@dataclass(frozen=True)
class SeriesState:
    """How far a series is applied in a tree."""

    patches: tuple[Patch, ...]
    applied: int  # leading patches found applied
    problem: str | None  # why the remaining patches would not apply; None if they would

    @property
    def pending(self) -> tuple[Patch, ...]:
        return self.patches[self.applied :]

    @property
    def complete(self) -> bool:
        return self.applied == len(self.patches)


def state(tree: Path, patches: Sequence[Patch]) -> SeriesState:
    """Find k such that patches[:k] are applied and patches[k:] would apply on top."""
    patches = tuple(patches)
    most_applied = 0
    for k in range(len(patches), -1, -1):
        if _trial(tree, patches[:k], reverse=True) is not None:
            continue
        most_applied = max(most_applied, k)
        if _trial(tree, patches[k:]) is None:
            return SeriesState(patches, k, None)
    problem = _trial(tree, patches[most_applied:])
    return SeriesState(patches, most_applied, f"{problem} (in {tree})")


def _touched_by_pending(st: SeriesState) -> list[str]:
    done = {f for p in st.patches[: st.applied] for f in p.files}
    return sorted({f for p in st.pending for f in p.files} - done)


def _refuse_dirty(tree: Path, st: SeriesState) -> None:
    dirty = dirty_files(tree, _touched_by_pending(st))
    if dirty:
        raise UserError(
            f"local changes in {', '.join(dirty)} (in {tree}); commit, stash or discard them "
            "first, or pass --allow-dirty"
        )


def _names(patches: Sequence[Patch]) -> str:
    return ", ".join(p.name for p in patches)


def check(tree: Path, patches: Sequence[Patch], allow_dirty: bool = False) -> str:
    """Say whether apply would succeed, changing nothing; raise UserError if it would not."""
    st = state(tree, patches)
    if st.complete:
        return f"already applied: {_names(st.patches)}"
    if not allow_dirty:
        _refuse_dirty(tree, st)
    if st.problem:
        raise UserError(st.problem)
    return f"applies cleanly: {_names(st.pending)}"


def apply(tree: Path, patches: Sequence[Patch], allow_dirty: bool = False) -> str:
    """Apply what is not applied yet; already applied counts as success."""
    st = state(tree, patches)
    if st.complete:
        return f"already applied, nothing to do: {_names(st.patches)}"
    if not allow_dirty:
        _refuse_dirty(tree, st)
    if st.problem:
        raise UserError(st.problem)
    problem = _run(tree, st.pending, reverse=False)
    if problem:
        raise UserError(f"{problem} (in {tree}); the tree may be half patched, see `status`")
    return f"applied: {_names(st.pending)}"


def revert(tree: Path, patches: Sequence[Patch]) -> str:
    """Undo the applied part of the series; not applied at all counts as success."""
    st = state(tree, patches)
    done = st.patches[: st.applied]
    if not done:
        if st.problem is None:
            return "not applied, nothing to revert"
        raise UserError(f"{_trial(tree, st.patches[:1], reverse=True)} (in {tree})")
    problem = _run(tree, done, reverse=True)
    if problem:
        raise UserError(f"{problem} (in {tree}); the tree may be half reverted, see `status`")
    return f"reverted: {_names(list(reversed(done)))}"


def status(tree: Path, patches: Sequence[Patch]) -> list[str]:
    """One line per patch: applied, not applied (and whether it would apply), or why not."""
    st = state(tree, patches)
    lines = [f"{p.name}: applied" for p in st.patches[: st.applied]]
    if st.problem:
        # Neither cleanly applied nor applicable: show both sides, e.g. edited after applying.
        first, *rest = st.pending
        lines.append(f"{first.name}: does not apply, and is not cleanly applied either")
        lines.append(f"  apply: {st.problem}")
        lines.append(f"  revert: {_trial(tree, [first], reverse=True)}")
        lines += [f"{p.name}: not applied" for p in rest]
        return lines
    dirty = dirty_files(tree, _touched_by_pending(st)) if st.pending else []
    note = f" (local changes in {', '.join(dirty)})" if dirty else ""
    lines += [f"{p.name}: not applied, applies cleanly{note}" for p in st.pending]
    return lines
