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


def add_files_from_hunk_context(root: Path, patch: Path) -> None:
    """Make up the files a hand-written kernel patch edits, from the patch's own old side:
    filler lines up to each hunk, then the hunk's context and removed lines."""
    current: Path | None = None
    lines: list[str] = []
    old_start = 0
    in_hunk = False

    def flush() -> None:
        if current is not None:
            write(current, "".join(lines))
            git(root, "add", "-A")

    for raw in patch.read_text().splitlines(keepends=True):
        if raw.startswith("--- a/"):
            flush()
            current, lines, in_hunk = root / raw[6:].strip(), [], False
        elif raw.startswith("@@"):
            old_start = int(raw.split()[1].lstrip("-").split(",")[0])
            lines += [f"// filler line {i}\n" for i in range(len(lines) + 1, old_start)]
            in_hunk = True
        elif in_hunk and raw[:1] in (" ", "-"):
            lines.append(raw[1:])
        elif in_hunk and raw.startswith("+"):
            continue
    flush()
    commit_all(root, "made-up kernel sources around the patched lines")
