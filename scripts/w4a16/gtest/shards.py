"""CI shards of a gtest binary, decided the way GoogleTest decides them.

With `GTEST_TOTAL_SHARDS=N` and `GTEST_SHARD_INDEX=I` in its environment, a gtest
binary numbers the cases that pass its filter and are not disabled, in the order
`--gtest_list_tests` prints them, and runs case k when `k mod N == I`. A disabled
case does not take a number; gtest reports it (as not run) in the shard of the
number the next runnable case gets.

The console listing ignores those variables, but the XML a listing run writes
(GoogleTest 1.10 and later) names exactly the cases of the shard. That XML is what
the runner uses; `shard_by_rule` applies the rule above when a binary writes no
listing XML, and the tests check that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from w4a16.gtest.listing import CaseInfo

_SHARD = re.compile(r"^\s*(?P<index>[+-]?\d+)\s*/\s*(?P<total>[+-]?\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `total` (0 <= index < total), as GoogleTest numbers shards."""

    index: int
    total: int

    def __post_init__(self) -> None:
        if self.total < 1:
            raise ValueError(f"the number of shards must be at least 1, got {self.total}")
        if not 0 <= self.index < self.total:
            raise ValueError(
                f"shard index must be 0 to {self.total - 1} for {self.total} shards, "
                f"got {self.index}"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"

    def environment(self) -> dict[str, str]:
        """The variables that make a gtest binary run only this shard."""
        return {"GTEST_TOTAL_SHARDS": str(self.total), "GTEST_SHARD_INDEX": str(self.index)}


def parse_shard(text: str) -> Shard:
    """`I/N` (e.g. `0/4`) as a Shard; ValueError with a one-line message otherwise."""
    match = _SHARD.match(text)
    if match is None:
        raise ValueError(f"expected I/N, e.g. 0/4 (shard I of N, counted from 0), got {text!r}")
    return Shard(int(match.group("index")), int(match.group("total")))


_DISABLED = re.compile(r"^DISABLED_|/DISABLED_")


def disabled_by_gtest(name: str) -> bool:
    """Whether gtest treats `Suite.Case` as disabled: suite or case name matches
    `DISABLED_*` or `*/DISABLED_*`, gtest's own test of the two names."""
    suite, _, case = name.partition(".")
    return bool(_DISABLED.search(suite) or _DISABLED.search(case))


def shard_by_rule(cases: Sequence[CaseInfo], shard: Shard) -> list[CaseInfo]:
    """The cases of `shard` by GoogleTest's rule, for cases listed with the same filter."""
    chosen: list[CaseInfo] = []
    number = 0  # the number the next runnable case takes
    for case in cases:
        if number % shard.total == shard.index:
            chosen.append(case)
        if not disabled_by_gtest(case.name):
            number += 1
    return chosen
