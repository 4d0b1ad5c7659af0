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

    `patches` is a series in order: a later patch's old side is the file after the earlier
    ones, so its line numbers are moved back by what earlier hunks above it added; where two
    patches share context, the lines must agree."""
    files: dict[Path, dict[int, str]] = {}
    grown: dict[Path, list[tuple[int, int]]] = {}  # earlier patches: (new end line, added)
    for patch in patches:
        current: Path | None = None
        mine: dict[Path, list[tuple[int, int]]] = {}
        position = 0
        for raw in patch.read_text().splitlines(keepends=True):
            if raw.startswith("--- a/"):
                current = root / raw[6:].strip()
                files.setdefault(current, {})
                position = 0
            elif raw.startswith("@@") and current is not None:
                old, new = raw.split()[1:3]
                old_start, old_len = (int(x) for x in (old.lstrip("-") + ",1").split(",")[:2])
                new_start, new_len = (int(x) for x in (new.lstrip("+") + ",1").split(",")[:2])
                shift = sum(n for end, n in grown.get(current, []) if end < old_start)
                position = old_start - shift
                mine.setdefault(current, []).append((new_start + new_len - 1, new_len - old_len))
            elif position and current is not None and raw[:1] in (" ", "-"):
                known = files[current].get(position)
                assert known in (None, raw[1:]), f"{patch.name}: line {position} differs"
                files[current][position] = raw[1:]
                position += 1
        for path, hunks in mine.items():
            grown.setdefault(path, []).extend(hunks)
    for path, lines in files.items():
        last = max(lines, default=0)
        write(path, "".join(lines.get(i, f"// filler line {i}\n") for i in range(1, last + 1)))
        git(root, "add", "-A")
    commit_all(root, "made-up kernel sources around the patched lines")
