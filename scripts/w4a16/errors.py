"""The one error type users see: a single clear line, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad input, missing tool or source).

    The CLI prints `error: <message>` on one line and exits with `exit_code`.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
