"""Follow gtest's console output while it runs.

gtest writes its XML only when the whole run ends, so while a process is alive
(or after it crashed) the streamed `[ RUN      ]` / `[       OK ]` lines are the
only record of which case is running and how earlier cases ended.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from w4a16.gtest.results import (
    FAILED,
    PASSED,
    SKIPPED,
    CaseResult,
    message_of,
    split_location,
)

# `[ RUN      ] Suite.Case`, `[  FAILED  ] Suite.Case/1, where GetParam() = 3 (0 ms)`, ...
_MARKER = re.compile(rb"\[ {1,7}(RUN|OK|FAILED|SKIPPED|DISABLED) {1,6}\] ([^\s,]+)(.*)")
_MILLIS = re.compile(rb"\((\d+) ms\)\s*$")
# `[----------] 3 tests from Suite` starts a suite; `... (12 ms total)` ends it.
_SUITE = re.compile(rb"\[-{10}\] \d+ tests? from ([^\s,]+)(.*)")
_END_WORDS = {b"OK": PASSED, b"FAILED": FAILED, b"SKIPPED": SKIPPED}

OUTPUT_LIMIT = 32 * 1024  # bytes of output kept per case (the tail)
TAIL_LIMIT = 64 * 1024  # bytes of the whole process output kept (the tail)


def _keep_tail(buffer: bytearray, limit: int) -> None:
    if len(buffer) > limit:
        del buffer[: len(buffer) - limit]


@dataclass
class _Running:
    name: str
    started: float
    output: bytearray = field(default_factory=bytearray)


class ProgressTracker:
    """Feed it the process output in chunks; it knows which case runs and how others ended."""

    def __init__(self) -> None:
        self.current: _Running | None = None
        self.current_suite: str | None = None
        self.started: list[str] = []
        self.finished: dict[str, CaseResult] = {}
        self.disabled: set[str] = set()
        self.tail = bytearray()
        self.last_event = time.monotonic()
        self._partial = b""

    def feed(self, chunk: bytes) -> None:
        self.tail += chunk
        _keep_tail(self.tail, TAIL_LIMIT)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > OUTPUT_LIMIT:  # a huge line without newline: keep its tail
            self._add_output(self._partial[:-OUTPUT_LIMIT])
            self._partial = self._partial[-OUTPUT_LIMIT:]
        for line in lines:
            self._line(line + b"\n")

    def close(self) -> None:
        """Flush a last line that had no newline."""
        if self._partial:
            self._line(self._partial)
            self._partial = b""

    def current_output(self) -> str:
        return self.current.output.decode("utf-8", errors="replace") if self.current else ""

    def _add_output(self, line: bytes) -> None:
        if self.current is not None:
            self.current.output += line
            _keep_tail(self.current.output, OUTPUT_LIMIT)

    def _line(self, line: bytes) -> None:
        if b"[" not in line:
            self._add_output(line)
            return
        marker = _MARKER.search(line)
        if marker is None:
            self._suite_line(line)
            self._add_output(line)
            return
        # Output the case printed without a final newline precedes the marker.
        self._add_output(line[: marker.start()])
        word, name, rest = marker.group(1), marker.group(2).decode(), marker.group(3)
        now = time.monotonic()
        if word == b"RUN":
            self.current = _Running(name, now)
            self.started.append(name)
            self.last_event = now
        elif word == b"DISABLED":
            self.disabled.add(name)
        elif self.current is not None and name == self.current.name:
            self._finish(_END_WORDS[word], rest, now)

    def _suite_line(self, line: bytes) -> None:
        match = _SUITE.search(line)
        if match is None:
            return
        ended = b"ms total)" in match.group(2)
        self.current_suite = None if ended else match.group(1).decode()
        self.last_event = time.monotonic()

    def _finish(self, outcome: str, rest: bytes, now: float) -> None:
        running = self.current
        assert running is not None
        output = running.output.decode("utf-8", errors="replace")
        millis = _MILLIS.search(rest)
        duration = int(millis.group(1)) / 1000 if millis else now - running.started
        message, details, file, line = _describe(outcome, output)
        self.finished[running.name] = CaseResult(
            name=running.name,
            outcome=outcome,
            message=message,
            details=details,
            file=file,
            line=line,
            duration=duration,
            output=output,
        )
        self.current = None
        self.last_event = now


# `path/file.cc:12: Failure` or `path/file.cc:15: Skipped` heads a block in the output.
_BLOCK = re.compile(r"^(?P<where>.+?:\d+|unknown file): (?P<kind>Failure|Skipped)$", re.M)


def _describe(outcome: str, output: str) -> tuple[str, str, str | None, int | None]:
    """Message, details and location of a case from its console output alone."""
    if outcome == PASSED:
        return "", "", None, None
    wanted = "Failure" if outcome == FAILED else "Skipped"
    blocks = [m for m in _BLOCK.finditer(output) if m.group("kind") == wanted]
    if not blocks:
        return "", output.strip(), None, None
    texts = []
    for index, block in enumerate(blocks):
        stop = blocks[index + 1].start() if index + 1 < len(blocks) else len(output)
        texts.append(f"{block.group('where')}\n{output[block.end() : stop].strip()}")
    file, line = split_location(blocks[0].group("where"))
    return message_of(texts[0]), "\n\n".join(texts), file, line
