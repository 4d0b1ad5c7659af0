"""Which files of cpp_tests/ travel into TensorRT-LLM with the test.

The main test file decides: it plus every file it (transitively) includes with quotes that
exists in cpp_tests/. Includes that resolve elsewhere (TensorRT-LLM, CUTLASS) are left alone,
so adding a helper header needs no change here.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from w4a16.errors import UserError

MAIN_TEST = "w4a16_sm90_simple_test.cu"

_QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def quoted_includes(text: str) -> list[str]:
    """The `#include "..."` targets of a C++ source, in order of appearance."""
    return _QUOTED_INCLUDE.findall(text)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text") from None


def shipped_sources(cpp_tests: Path, main: str = MAIN_TEST) -> list[str]:
    """Paths (relative to cpp_tests, '/'-separated) of the main test and its local includes.

    The main file comes first; the helpers follow sorted, so the patch is stable.
    """
    root = cpp_tests.resolve()
    if not (root / main).is_file():
        raise UserError(f"{cpp_tests / main} not found; the patch is generated from it")
    found: set[str] = set()
    todo = [main]
    while todo:
        rel = todo.pop()
        if rel in found:
            continue
        found.add(rel)
        here = (root / rel).parent
        for target in quoted_includes(_read(root / rel)):
            candidate = (here / target).resolve()
            if not candidate.is_file() or not candidate.is_relative_to(root):
                continue
            todo.append(PurePosixPath(candidate.relative_to(root)).as_posix())
    return [main, *sorted(found - {main})]
