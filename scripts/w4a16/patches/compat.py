"""Which TensorRT-LLM sources the series is made for, and a one-line reason when a tree is not.

`git apply` only says which hunk failed. When a patch of the series does not apply, the file it
edits is looked at here, so the error can say why: the kernel CMakeLists.txt lacks the line our
registration goes after (or registers our test already), or the SM90 launcher belongs to an
older family than the one the kernel fixes were written for.

The families were read from stored public versions of both files; patches/upstream/
tested_versions.json lists them, and `w4a16 patch upstream-check` re-checks the series
against a folder of such versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from w4a16 import paths
from w4a16.patches import upstream

LAUNCHER = (
    "tensorrt_llm/kernels/cutlass_kernels/fpA_intB_gemm/launchers/fpA_intB_launcher_sm90.inl"
)
# What the kernel fixes need of the launcher: 0003 tunes the stream-K scheduler's arguments,
# and both fixes carry the launcher's "[TensorRT LLM Error]" messages as context.
STREAM_K_SCHEDULER = "cutlass::gemm::StreamKScheduler"
OLD_SPELLING = "[TensorRT-LLm Error]"
SUPPORTED_LAUNCHER = (
    "the kernel fixes support the stream-K launcher with '[TensorRT LLM Error]' messages of "
    "TensorRT-LLM 2025-2026 (e.g. NVIDIA/TensorRT-LLM 2a9abd95)"
)
REGISTERED_TARGET = f"add_gtest({paths.TARGET} "


def registration_problem(text: str) -> str | None:
    """Why our add_gtest line cannot go into this kernels CMakeLists.txt, or None."""
    lines = text.splitlines()
    hits = sum(1 for line in lines if line.strip() == upstream.ANCHOR)
    if any(line.strip().startswith(REGISTERED_TARGET) for line in lines):
        return (
            f"{upstream.KERNELS_CMAKELISTS} already registers {paths.TARGET}, but not as the "
            "series does (added by hand, or edited after applying?)"
        )
    if hits == 0:
        return (
            f"{upstream.KERNELS_CMAKELISTS} has no line '{upstream.ANCHOR}'; the series "
            "registers its test right after that line"
        )
    if hits > 1:
        return f"{upstream.KERNELS_CMAKELISTS} has the line '{upstream.ANCHOR}' {hits} times"
    return None


def launcher_problem(text: str) -> str | None:
    """Why the kernel fixes do not fit this SM90 launcher's family, or None if it looks right."""
    signs = []
    if STREAM_K_SCHEDULER not in text:
        signs.append(f"no {STREAM_K_SCHEDULER}")
    if OLD_SPELLING in text:
        signs.append(f"'{OLD_SPELLING}' messages")
    if not signs:
        return None
    return f"fpA_intB_launcher_sm90.inl is an older launcher ({', '.join(signs)}); " + (
        SUPPORTED_LAUNCHER
    )


def explain(files: Sequence[str], read: Path) -> str | None:
    """A specific reason for the first of `files` (tree-relative) that does not fit, or None.

    read: the folder the paths are relative to (a tree, or the slice's csrc/nv_internal).
    """
    for name in files:
        path = read / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if name == upstream.KERNELS_CMAKELISTS:
            reason = registration_problem(text)
        elif name.endswith(LAUNCHER):
            reason = launcher_problem(text)
        else:
            reason = None
        if reason:
            return reason
    return None
