"""Group selected gtest items into batches and run each batch once, on first use.

The grouping is a pure function of node ids so that the xdist controller (which
only sees node ids) and every worker (which sees items) agree on it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from w4a16.gtest.results import CaseResult
from w4a16.gtest.runner import run_cases


class _BatchItem(Protocol):
    nodeid: str
    name: str
    binary: Path


def batch_scopes(nodeids: Iterable[str], prefixes: set[str], size: int) -> dict[str, str]:
    """Batch key for each node id below one of `prefixes` (binary node ids), in order."""
    counts: dict[str, int] = {}
    scopes: dict[str, str] = {}
    for nodeid in nodeids:
        prefix = nodeid.split("::", 1)[0]
        if prefix not in prefixes or "::" not in nodeid:
            continue
        index = counts.get(prefix, 0)
        counts[prefix] = index + 1
        scopes[nodeid] = f"{prefix}::gtest-batch-{index // size if size > 0 else 0}"
    return scopes


class BatchRunner:
    """Runs the batch of an item when the first of its items runs; later items read results."""

    def __init__(
        self,
        *,
        case_timeout: float,
        batch_timeout: float,
        env: Mapping[str, str] | None,
    ) -> None:
        self._xml_dir: Path | None = None
        self.case_timeout = case_timeout
        self.batch_timeout = batch_timeout
        self.env = dict(os.environ if env is None else env)
        self._batch_of: dict[str, list[_BatchItem]] = {}
        self._cache: dict[str, CaseResult] = {}
        self._done: set[str] = set()

    def xml_dir(self) -> Path:
        """Where gtest's XML reports go; made on first use, removed by close()."""
        if self._xml_dir is None:
            self._xml_dir = Path(tempfile.mkdtemp(prefix="w4a16-gtest-"))
        return self._xml_dir

    def close(self) -> None:
        if self._xml_dir is not None:
            shutil.rmtree(self._xml_dir, ignore_errors=True)
            self._xml_dir = None

    def plan(self, items: Sequence[_BatchItem], prefixes: set[str], size: int) -> None:
        scopes = batch_scopes((item.nodeid for item in items), prefixes, size)
        groups: dict[str, list[_BatchItem]] = {}
        for item in items:
            scope = scopes.get(item.nodeid)
            if scope is not None:
                groups.setdefault(scope, []).append(item)
                self._batch_of[item.nodeid] = groups[scope]

    def result(self, item: _BatchItem) -> CaseResult:
        """The item's result, running its batch (minus what already ran) if needed."""
        cached = self._cache.pop(item.nodeid, None)
        if cached is None:
            batch = [
                other
                for other in self._batch_of.get(item.nodeid, [item])
                if other.nodeid not in self._done and other.nodeid not in self._cache
            ]
            if item not in batch:  # run again, e.g. by a rerun plugin
                batch.insert(0, item)
            results = run_cases(
                item.binary,
                [other.name for other in batch],
                xml_dir=self.xml_dir(),
                case_timeout=self.case_timeout,
                batch_timeout=self.batch_timeout,
                env=self.env,
            )
            for other in batch:
                self._cache[other.nodeid] = results[other.name]
            cached = self._cache.pop(item.nodeid)
        self._done.add(item.nodeid)
        return cached
