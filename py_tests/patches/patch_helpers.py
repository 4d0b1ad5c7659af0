"""Throwaway git repositories standing in for a TensorRT-LLM checkout.

The fake tree has only the marker paths and a kernels CMakeLists.txt whose lines around the
anchor come from our committed excerpt file; everything else in it is made up here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from w4a16.patches import upstream

MAIN_TEST = "w4a16_sm90_simple_test.cu"
TEST_DIR = f"{upstream.KERNELS_DIR}/{upstream.TEST_SUBDIR}"


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return out.stdout


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        f.write(text)


def cmakelists_text(extra_head: int = 0) -> str:
    """A kernels CMakeLists.txt with the excerpt at its pinned line (moved by extra_head)."""
    ex = upstream.load_excerpt()
    filler = [f"# made-up line {i}" for i in range(1, ex.first_line + extra_head)]
    tail = ["add_gtest(madeUpTailTest madeUpTailTest.cpp)"]
    return "\n".join([*filler, *ex.before, upstream.ANCHOR, *ex.after, *tail]) + "\n"


def make_tree(root: Path, cmakelists: str | None = None) -> Path:
    """A committed git repository with TensorRT-LLM's marker paths."""
    write(root / "cpp/tensorrt_llm/placeholder.txt", "made up\n")
    write(root / upstream.KERNELS_CMAKELISTS, cmakelists or cmakelists_text())
    write(root / TEST_DIR / "weightOnlyKernelTest.cpp", "// made up\n")
    git(root, "init", "-q")
    commit_all(root, "fake TensorRT-LLM")
    return root


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def add_files_from_hunk_context(root: Path, *patches: Path) -> None:
    """Make up the files hand-written kernel patches edit, from the patches' own old sides:
    each hunk's context and removed lines at their line numbers, filler lines between.

    `patches` is a series in order, and a later patch's old side is the file after the earlier
    ones. Each file is followed through the series as a list of its lines, each either a line of
    the original (by number) or one an earlier patch added (by text): a later patch's context
    and removed lines then land on the original's line numbers, or must equal what an earlier
    patch added there. Where two patches share context, the lines must agree."""
    files: dict[Path, dict[int, str]] = {}
    current: dict[Path, list[tuple[int, str | None]]] = {}  # (original line or 0, added text)
    for patch in patches:
        path: Path | None = None
        at: int | None = None  # index into current[path] of the hunk's next line; None: no hunk
        offset = 0  # lines this patch's earlier hunks of the file added
        for raw in patch.read_text().splitlines(keepends=True):
            if raw.startswith("--- a/"):
                path = root / raw[6:].strip()
                files.setdefault(path, {})
                current.setdefault(path, [])
                offset, at = 0, None
            elif raw.startswith("@@") and path is not None:
                old, new = raw.split()[1:3]
                old_start, old_len = (int(x) for x in (old.lstrip("-") + ",1").split(",")[:2])
                new_len = int((new.lstrip("+") + ",1").split(",")[1])
                at = old_start - 1 + offset
                offset += new_len - old_len
                lines = current[path]
                unseen = at + old_len - len(lines)  # lines never seen yet: the original's, in order
                if unseen > 0:
                    last = max((n for n, _ in lines if n), default=0)
                    lines += [(last + i, None) for i in range(1, unseen + 1)]
            elif path is not None and at is not None and raw[:1] in (" ", "-", "+"):
                lines = current[path]
                if raw[:1] == "+":
                    lines.insert(at, (0, raw[1:]))
                    at += 1
                    continue
                number, added = lines[at]
                if number:
                    known = files[path].get(number)
                    assert known in (None, raw[1:]), f"{patch.name}: line {number} differs"
                    files[path][number] = raw[1:]
                else:
                    assert added == raw[1:], f"{patch.name}: an added line differs"
                if raw[:1] == "-":
                    del lines[at]
                else:
                    at += 1
    for path, lines in files.items():
        last = max(lines, default=0)
        write(path, "".join(lines.get(i, f"// filler line {i}\n") for i in range(1, last + 1)))
        git(root, "add", "-A")
    commit_all(root, "made-up kernel sources around the patched lines")
