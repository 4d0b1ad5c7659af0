"""Batch planning and the run-once cache behind the pytest items."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from w4a16.gtest.results import PASSED, CaseResult
from w4a16.pytest_gtest import batches
from w4a16.pytest_gtest.batches import BatchRunner, batch_scopes


def test_batch_scopes_chunk_each_binary_in_order() -> None:
    ids = ["a::S.1", "b::S.1", "a::S.2", "test_x.py::test_y", "a::S.3", "b::S.2"]
    assert batch_scopes(ids, {"a", "b"}, 2) == {
        "a::S.1": "a::gtest-batch-0",
        "a::S.2": "a::gtest-batch-0",
        "a::S.3": "a::gtest-batch-1",
        "b::S.1": "b::gtest-batch-0",
        "b::S.2": "b::gtest-batch-0",
    }
    whole = batch_scopes(ids, {"a", "b"}, 0)
    assert set(whole.values()) == {"a::gtest-batch-0", "b::gtest-batch-0"}


@dataclass(frozen=True)
class FakeItem:
    nodeid: str
    name: str
    binary: Path


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """Replace the runner: record each batch and pass every case."""
    seen: list[tuple[str, list[str]]] = []

    def fake_run_cases(binary: Path, names: list[str], **kwargs: object) -> dict:
        seen.append((binary.name, list(names)))
        return {name: CaseResult(name=name, outcome=PASSED) for name in names}

    monkeypatch.setattr(batches, "run_cases", fake_run_cases)
    return seen


def make_items(binary: str, count: int) -> list[FakeItem]:
    return [FakeItem(f"{binary}::S.C{i}", f"S.C{i}", Path(binary)) for i in range(count)]


def test_first_item_runs_its_batch_and_later_items_read_it(
    calls: list[tuple[str, list[str]]],
) -> None:
    items = make_items("a", 5) + make_items("b", 2)
    runner = BatchRunner(case_timeout=1, batch_timeout=1, env={})
    runner.plan(items, {"a", "b"}, 3)
    for item in items:
        assert runner.result(item).name == item.name
    assert calls == [
        ("a", ["S.C0", "S.C1", "S.C2"]),
        ("a", ["S.C3", "S.C4"]),
        ("b", ["S.C0", "S.C1"]),
    ]


def test_running_an_item_again_runs_its_case_again(
    calls: list[tuple[str, list[str]]],
) -> None:
    items = make_items("a", 3)
    runner = BatchRunner(case_timeout=1, batch_timeout=1, env={})
    runner.plan(items, {"a"}, 0)
    runner.result(items[0])
    runner.result(items[0])  # e.g. a rerun plugin
    runner.result(items[1])
    runner.result(items[2])
    assert calls == [("a", ["S.C0", "S.C1", "S.C2"]), ("a", ["S.C0"])]


def test_items_out_of_order_only_run_what_is_left(
    calls: list[tuple[str, list[str]]],
) -> None:
    items = make_items("a", 3)
    runner = BatchRunner(case_timeout=1, batch_timeout=1, env={})
    runner.plan(items, {"a"}, 0)
    runner.result(items[1])
    runner.result(items[1])
    runner.result(items[0])
    assert calls == [("a", ["S.C0", "S.C1", "S.C2"]), ("a", ["S.C1"])]
