"""The environment a gtest process runs in.

Some GTEST_* variables change what gtest prints or which cases it runs
(sharding, brief output, colour, repeat); the runner relies on the normal
console format and on the filter it passes, so those are removed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# Variables that would change the set of cases run or the console format we parse.
_INTERFERING = (
    "GTEST_FILTER",
    "GTEST_OUTPUT",
    "GTEST_BRIEF",
    "GTEST_COLOR",
    "GTEST_PRINT_TIME",
    "GTEST_LIST_TESTS",
    "GTEST_REPEAT",
    "GTEST_FAIL_FAST",
    "GTEST_SHUFFLE",
    "GTEST_TOTAL_SHARDS",
    "GTEST_SHARD_INDEX",
    "GTEST_SHARD_STATUS_FILE",
    "GTEST_ALSO_RUN_DISABLED_TESTS",
    "GTEST_BREAK_ON_FAILURE",
    "TEST_PREMATURE_EXIT_FILE",
)


def gtest_environment(env: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """A copy of `env` (default: os.environ) safe for gtest, plus `extra` variables."""
    result = dict(os.environ if env is None else env)
    for name in _INTERFERING:
        result.pop(name, None)
    result["GTEST_COLOR"] = "no"
    result.update(extra)
    return result
