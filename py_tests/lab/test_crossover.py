"""The crossover table and the held-out pricing of selection rules, on made-up records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from w4a16.errors import UserError
from w4a16.lab import crossover
from w4a16.tactics import GEMV_TACTIC

A = "tile128x16x64_cluster1x1x1_coop"
B = "tile64x16x64_cluster1x1x1_pingpong"


def write(path: Path, label: str, times: dict[int, dict[str, float]]) -> Path:
    lines = []
    for m, by_tactic in times.items():
        default = GEMV_TACTIC if m < 5 and GEMV_TACTIC in by_tactic else B
        lines.append({"record": "problem", "label": label, "m": m, "default_tactic": default})
        for tactic, us in by_tactic.items():
            lines.append({"record": "tactic", "label": label, "m": m, "tactic": tactic,
                          "status": "ok", "median_us": us})
        lines.append({"record": "tactic", "label": label, "m": m, "tactic": "broken",
                      "status": "error"})
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def shape(gemv_per_m: float, tmp: Path, label: str) -> Path:
    """The GEMV grows with M, A is flat and the fastest CUTLASS, B (config 0) flat and slower."""
    return write(tmp / f"{label.replace('/', '_')}.jsonl", label, {
        m: {GEMV_TACTIC: gemv_per_m * m, A: 10.0, B: 15.0} for m in (1, 2, 4, 8, 16)
        if m < 16} | {16: {A: 10.0, B: 15.0}})


def test_table_names_the_faster_and_the_crossover(tmp_path: Path) -> None:
    rows = crossover.read_rows([shape(3.0, tmp_path, "s/one")])
    text = crossover.table(rows)
    assert "| s/one | 1 | 3.0 | " + A + " | 10.0 | GEMV 3.33x | " + GEMV_TACTIC + " | 0% |" in text
    assert "| s/one | 8 | 24.0 | " + A + " | 10.0 | CUTLASS 2.40x | " + B + " | 50% |" in text
    assert "- s/one: M <= 2" in text  # 3.0 * 4 = 12 > 10


def test_held_out_rule_learns_from_the_other_shapes_only(tmp_path: Path) -> None:
    files = [shape(3.0, tmp_path, "s/a"), shape(3.0, tmp_path, "s/b"),
             shape(1.0, tmp_path, "s/c")]
    rows = crossover.read_rows(files)
    text = crossover.held_out(rows)
    # s/a held out: on s/b (GEMV 3.0 us per token) and s/c (1.0) the least total loss is the
    # GEMV up to M = 4 (s/b loses 20% there, s/c would lose 150% at M = 4 with T = 2), and A
    # above it: on s/a only M = 4 loses (12 us against 10), where the default also takes the
    # GEMV and then loses 50% to config 0 at M = 8 and 16.
    assert "| s/a | 4 | 20% / 50% | 0% / 20% |" in text
    # s/c held out: s/a and s/b teach T = 2, which gives away M = 4 (GEMV 4 us, A 10 us).
    assert "| s/c | 2 | 0% / 88% | 0% / 150% |" in text
    assert "Over all 15 rows" in text


def test_one_shape_cannot_be_held_out(tmp_path: Path) -> None:
    rows = crossover.read_rows([shape(3.0, tmp_path, "s/one")])
    assert "needs at least two shapes" in crossover.held_out(rows)


def test_bad_records_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(UserError, match="bad.jsonl:1: not a JSON record"):
        crossover.read_rows([bad])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(UserError, match="no timed CUTLASS tactic"):
        crossover.read_rows([empty])
    assert crossover.main([str(tmp_path / "missing.jsonl")]) == 2
