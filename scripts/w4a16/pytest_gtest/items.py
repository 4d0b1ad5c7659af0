"""The pytest nodes: a collector per gtest binary and an item per gtest case."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from w4a16.errors import UserError
from w4a16.gtest.listing import LISTING_TIMEOUT_S, CaseInfo, read_listing
from w4a16.gtest.results import FAILED, KIND_CRASH, KIND_TIMEOUT, PASSED, CaseResult
from w4a16.pytest_gtest.state import state_of


class GTestFailure(Exception):
    """Raised by a gtest item whose case failed, crashed or hung."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.message)
        self.result = result


class _Crash:
    """Where and why, in the shape pytest's summary and JUnit writer look for."""

    def __init__(self, path: str, lineno: int, message: str) -> None:
        self.path, self.lineno, self.message = path, lineno, message


class GTestFailureRepr:
    """A failing case for the terminal: gtest's text, recorded properties, location."""

    def __init__(self, result: CaseResult, where: tuple[str, int] | None) -> None:
        self.result = result
        path, line = where if where else ("<gtest>", 0)
        summary = " ".join(result.message.split()) or "gtest case failed"
        self.reprcrash = _Crash(path, line, summary)

    def _lines(self) -> Iterator[tuple[str, bool]]:
        """(text, highlight) pairs."""
        for line in (self.result.details or self.result.message).splitlines():
            yield line, True
        if self.result.properties:
            yield "", False
            yield "recorded properties:", False
            for name, value in self.result.properties:
                yield f"  {name} = {value}", False
        yield "", False
        yield f"{self.reprcrash.path}:{self.reprcrash.lineno}: gtest {FAILED}", False

    def toterminal(self, tw: Any) -> None:
        for text, highlight in self._lines():
            if highlight:
                tw.line(text, red=True, bold=True)
            else:
                tw.line(text)

    def __str__(self) -> str:
        return "\n".join(text for text, _ in self._lines())


@functools.lru_cache(maxsize=256)
def _source(file: str | None, binary: Path) -> Path | None:
    """A case's source file as an absolute path, when gtest told us and it exists.

    Cached: the cases of a binary share a handful of files, and pytest asks per item.
    """
    if not file:
        return None
    path = Path(file)
    if not path.is_absolute():
        path = binary.parent / path
    # Normalized as pytest's own locations are (no `..`), once per file.
    return Path(os.path.abspath(path)) if path.exists() else None


# `file.cc:12: Failure` heads a failure in the output; the details say `file.cc:12`.
_BLOCK_HEADER = re.compile(r"^.+:\d+: (?:Failure|Skipped)$")


def _output_adds_to(result: CaseResult) -> bool:
    """Whether the case's output says more than the failure text shown anyway."""
    if not result.output.strip() or result.kind in (KIND_CRASH, KIND_TIMEOUT):
        return False
    shown = set((result.details or result.message).splitlines())
    return any(
        line.strip() and line not in shown and not _BLOCK_HEADER.match(line)
        for line in result.output.splitlines()
    )


class GTestBinary(pytest.Collector):
    """One gtest binary; its children come from `--gtest_list_tests`."""

    def __init__(self, *, binary: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.binary = binary

    def collect(self) -> list[GTestCase]:
        state = state_of(self.config)
        listing = read_listing(
            self.binary,
            timeout=min(state.settings.case_timeout, LISTING_TIMEOUT_S),
            env=state.env,
            shard=state.settings.shard,
        )
        in_shard = listing.in_shard
        pattern = state.settings.gpu_pattern
        # One marker object each, shared by every item: 300 cases need not make 600.
        gtest_mark, gpu_mark = pytest.mark.gtest, pytest.mark.gpu
        items = []
        for info in listing.cases:
            item = GTestCase.from_parent(self, name=info.name, info=info)
            item.in_shard = in_shard is None or info.name in in_shard
            item.add_marker(gtest_mark)
            if pattern.search(info.name):
                item.add_marker(gpu_mark)
            items.append(item)
        return items

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.binary, None, self.name

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
        if isinstance(excinfo.value, UserError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class GTestCase(pytest.Item):
    """One gtest case; running it reads (or triggers) its batch's result."""

    def __init__(self, *, info: CaseInfo, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.info = info
        self.gtest_result: CaseResult | None = None
        self.in_shard = True  # False: another --gtest-shard runs it; deselected

    @property
    def binary(self) -> Path:
        assert isinstance(self.parent, GTestBinary)
        return self.parent.binary

    def runtest(self) -> None:
        result = state_of(self.config).batches.result(self)
        self.gtest_result = result
        self.user_properties.extend(result.properties)
        if _output_adds_to(result):
            self.add_report_section("call", "stdout", result.output)
        if result.outcome == PASSED:
            return
        if result.outcome == FAILED:
            raise GTestFailure(result)
        raise pytest.skip.Exception(result.message or "skipped", _use_item_location=True)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> Any:
        if isinstance(excinfo.value, GTestFailure):
            result = excinfo.value.result
            where = None
            if result.file and result.line is not None:
                where = (result.file, result.line)
            elif self.info.file and self.info.line is not None:
                where = (self.info.file, self.info.line)
            return GTestFailureRepr(result, where)
        if isinstance(excinfo.value, UserError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    @functools.cached_property
    def location(self) -> tuple[str, int | None, str]:
        """pytest's location from reportinfo(), without pytest's per-item Path rebuild: the
        binary is resolved and `_source` normalizes once per file, so the path goes straight
        to the session's own relative-path cache."""
        path, line, name = self.reportinfo()
        return self.session._node_location_to_relpath(path), line, name

    def reportinfo(self) -> tuple[Path, int | None, str]:
        source = _source(self.info.file, self.binary)
        if source is not None and self.info.line is not None:
            return source, self.info.line - 1, self.name
        return self.binary, None, self.name
