"""pytest-xdist scheduling that keeps each gtest batch on one worker.

xdist's default `load` mode hands items out one by one, which would split a
batch across workers and run its gtest process twice. This scheduler gives a
whole batch to one worker as a single unit of work and treats every other item
as its own unit, like `load`. Node ids are left untouched.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadGroupScheduling

from w4a16.pytest_gtest.batches import batch_scopes


class GTestBatchScheduling(LoadGroupScheduling):
    """LoadGroup scheduling where a gtest batch is a group of its own."""

    def __init__(self, config: pytest.Config, log: Any, prefixes: set[str], size: int) -> None:
        super().__init__(config, log)
        self._prefixes = prefixes
        self._size = size
        self._scopes: dict[str, str] = {}

    def schedule(self) -> None:
        if self.collection is None and self.registered_collections:
            first = next(iter(self.registered_collections.values()))
            self._scopes = batch_scopes(first, self._prefixes, self._size)
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        scope = self._scopes.get(nodeid)
        return scope if scope is not None else super()._split_scope(nodeid)


class SchedulerPlugin:
    """Registered on the xdist controller; replaces `load`/`loadgroup` scheduling."""

    def __init__(self, prefixes: set[str], size: int) -> None:
        self.prefixes = prefixes
        self.size = size

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") not in ("load", "loadgroup") or not self.prefixes:
            return None
        return GTestBatchScheduling(config, log, self.prefixes, self.size)
