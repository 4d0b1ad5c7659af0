"""Unified-diff text in the form `git apply` reads, written by hand so output is stable.

Only the two shapes the series needs: a new file, and lines inserted between known lines.
"""

from __future__ import annotations

from collections.abc import Sequence

NO_NEWLINE = "\\ No newline at end of file\n"


def _range(start: int, count: int) -> str:
    # git omits the count when it is 1.
    return f"{start}" if count == 1 else f"{start},{count}"


def hunk_header(old_start: int, old_count: int, new_start: int, new_count: int) -> str:
    return f"@@ -{_range(old_start, old_count)} +{_range(new_start, new_count)} @@\n"


def new_file(path: str, text: str) -> str:
    """Diff creating `path` with content `text` (kept byte for byte, CRs included)."""
    out = [f"diff --git a/{path} b/{path}\n", "new file mode 100644\n"]
    if not text:
        return "".join(out)
    lines = text.split("\n")
    missing_newline = lines[-1] != ""
    if not missing_newline:
        lines.pop()
    out += ["--- /dev/null\n", f"+++ b/{path}\n", hunk_header(0, 0, 1, len(lines))]
    out += [f"+{line}\n" for line in lines]
    if missing_newline:
        out.append(NO_NEWLINE)
    return "".join(out)


def insertion(
    path: str, first_line: int, before: Sequence[str], added: Sequence[str], after: Sequence[str]
) -> str:
    """Diff inserting lines `added` between context lines `before` and `after`.

    `first_line` is the 1-based line number of `before[0]` (or of the insertion point when
    there is no leading context).
    """
    old_count = len(before) + len(after)
    out = [
        f"diff --git a/{path} b/{path}\n",
        f"--- a/{path}\n",
        f"+++ b/{path}\n",
        hunk_header(first_line, old_count, first_line, old_count + len(added)),
    ]
    out += [f" {line}\n" for line in before]
    out += [f"+{line}\n" for line in added]
    out += [f" {line}\n" for line in after]
    return "".join(out)
