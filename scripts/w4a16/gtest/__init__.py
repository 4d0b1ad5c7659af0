"""Run GoogleTest binaries in batches, surviving crashes and hangs; report as JUnit.

The library does not depend on pytest; the pytest plugin (`w4a16.pytest_gtest`) and `w4a16 run`
are thin layers over `run_cases` and `run_all`.
"""

from __future__ import annotations

from w4a16.gtest.listing import (
    LISTING_TIMEOUT_S,
    CaseInfo,
    Listing,
    list_cases,
    parse_listing,
    read_listing,
)
from w4a16.gtest.merge import MergeSummary, merge_reports
from w4a16.gtest.results import CaseResult
from w4a16.gtest.runner import (
    DEFAULT_BATCH_TIMEOUT,
    DEFAULT_CASE_TIMEOUT,
    RunSummary,
    run_all,
    run_cases,
)
from w4a16.gtest.shards import Shard, parse_shard

__all__ = [
    "DEFAULT_BATCH_TIMEOUT",
    "DEFAULT_CASE_TIMEOUT",
    "LISTING_TIMEOUT_S",
    "CaseInfo",
    "CaseResult",
    "Listing",
    "MergeSummary",
    "RunSummary",
    "Shard",
    "list_cases",
    "merge_reports",
    "parse_listing",
    "parse_shard",
    "read_listing",
    "run_all",
    "run_cases",
]
