"""What we know about TensorRT-LLM at the pinned commit, kept in one place.

The patch must carry a few unchanged lines of TensorRT-LLM's kernel-test CMakeLists.txt as
diff context. Those lines live in a small committed excerpt file (not in code) so that whoever
bumps the pin re-copies them from the pinned tree in one obvious spot.

Excerpt format (UTF-8 text):

    # comment lines and blank lines are allowed before the `---` line
    path: cpp/tests/unit_tests/kernels/CMakeLists.txt
    commit: <40-hex SHA the lines were copied from; must equal PINNED_COMMIT>
    anchor-line: <1-based line number of the anchor line in that file>
    ---
    <N lines before the anchor, verbatim>
    <the anchor line, verbatim>
    <M lines after the anchor, verbatim>

Everything after the `---` line is copied text, each line ended by a newline (CMake comments
starting with `#` are fine there). At least one line must follow the anchor: a hunk without
trailing context only applies at the end of a file.

The fewer lines, the more TensorRT-LLM versions the hunk fits: the committed excerpt holds the
anchor and the one line after it (see compat.py and patches/upstream/tested_versions.json).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from w4a16 import paths
from w4a16.errors import UserError

PINNED_COMMIT = "31116825b39f4e6a6a1e127001f5204b73d1dc32"
PINNED_NAME = "v1.2.0rc2"

KERNELS_DIR = "cpp/tests/unit_tests/kernels"
KERNELS_CMAKELISTS = f"{KERNELS_DIR}/CMakeLists.txt"
TEST_SUBDIR = "weightOnly"
# Our registration goes right after this existing line.
ANCHOR = "add_gtest(weightOnlyKernelTest weightOnly/weightOnlyKernelTest.cpp)"
# Paths whose presence says "this is a TensorRT-LLM source tree".
MARKERS = ("cpp/tensorrt_llm", KERNELS_CMAKELISTS)

EXCERPT_FILE = paths.PATCHES / "upstream" / "kernels_CMakeLists.excerpt.txt"

_SHA = re.compile(r"[0-9a-f]{40}")
_KEYS = ("path", "commit", "anchor-line")


@dataclass(frozen=True)
class Excerpt:
    """Verbatim lines around the anchor, and where the anchor sits in the pinned file."""

    path: str
    commit: str
    anchor_line: int
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def first_line(self) -> int:
        """1-based line number of the first excerpt line in the pinned file."""
        return self.anchor_line - len(self.before)


def parse_excerpt(text: str, where: str = "excerpt") -> Excerpt:
    """Parse the excerpt format described in this module's docstring."""
    head, sep, body = text.partition("\n---\n")
    if not sep:
        raise UserError(f"{where}: no '---' line separating the header from the copied lines")
    fields: dict[str, str] = {}
    for raw in head.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon or key.strip() not in _KEYS:
            raise UserError(f"{where}: unexpected header line {raw!r}")
        fields[key.strip()] = value.strip()
    missing = [k for k in _KEYS if k not in fields]
    if missing:
        raise UserError(f"{where}: header lacks {', '.join(missing)}")
    if not _SHA.fullmatch(fields["commit"]):
        raise UserError(f"{where}: commit {fields['commit']!r} is not a 40-digit hex SHA")
    if not fields["anchor-line"].isdigit() or int(fields["anchor-line"]) < 1:
        raise UserError(f"{where}: anchor-line {fields['anchor-line']!r} is not a line number")
    if not body.endswith("\n"):
        raise UserError(f"{where}: the copied lines must end with a newline")
    lines = body[:-1].split("\n")
    hits = [i for i, line in enumerate(lines) if line == ANCHOR]
    if len(hits) != 1:
        raise UserError(f"{where}: expected the anchor line {ANCHOR!r} exactly once")
    i = hits[0]
    if i == len(lines) - 1:
        # git apply anchors a hunk without trailing context at the end of the file.
        raise UserError(f"{where}: at least one line must follow the anchor line")
    anchor_line = int(fields["anchor-line"])
    if anchor_line <= i:
        raise UserError(
            f"{where}: anchor-line {anchor_line} leaves no room for {i} lines before it"
        )
    return Excerpt(
        path=fields["path"],
        commit=fields["commit"],
        anchor_line=anchor_line,
        before=tuple(lines[:i]),
        after=tuple(lines[i + 1 :]),
    )


def load_excerpt(path: Path = EXCERPT_FILE) -> Excerpt:
    """Read the committed excerpt; it must describe the pinned commit's kernel CMakeLists."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"missing upstream excerpt {path}") from None
    excerpt = parse_excerpt(text, where=str(path))
    if excerpt.path != KERNELS_CMAKELISTS:
        raise UserError(f"{path}: path is {excerpt.path!r}, expected {KERNELS_CMAKELISTS!r}")
    if excerpt.commit != PINNED_COMMIT:
        raise UserError(
            f"{path}: lines were copied from {excerpt.commit}, but the pin is {PINNED_COMMIT}; "
            "re-copy them from the pinned tree"
        )
    return excerpt
