"""Tactic ranking and the default-vs-best audit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from w4a16.bench import ranking
from w4a16.bench.problem import Estimate, ProblemResult, TacticResult, Timing

from . import synthetic
from .synthetic import ABSENT, BROKEN, DEFAULT, FAST, tactic


def test_timed_sorts_fastest_first_and_drops_untimed():
    tactics = [tactic(0, DEFAULT, 9.0), tactic(1, ABSENT, None, "not_compiled"),
               tactic(2, FAST, 7.0), tactic(3, BROKEN, None, "error"),
               tactic(4, "tile64x64x64_cluster1x1x1_pingpong", 7.0)]
    names = [t.tactic for t in ranking.timed(tactics)]
    # Ties keep the lower config index first.
    assert names == [FAST, "tile64x64x64_cluster1x1x1_pingpong", DEFAULT]


def test_tile_of_and_best_per_tile():
    assert ranking.tile_of("tile128x256x64_cluster2x2x1_coop") == "128x256"
    assert ranking.tile_of("tile64x16x64_cluster1x1x1_pingpong_cudakernelflag") == "64x16"
    # A name that is not a CUTLASS tile is a family of its own, never an exception.
    assert ranking.tile_of("cuda_core_gemv") == "cuda_core_gemv"
    tactics = [tactic(0, "tile128x16x64_cluster1x1x1_coop", 12.0), tactic(1, FAST, 10.0),
               tactic(2, DEFAULT, 11.0), tactic(3, "cuda_core_gemv", 9.0)]
    best = ranking.best_per_tile(tactics)
    assert {k: v.tactic for k, v in best.items()} == {
        "128x16": FAST, "64x16": DEFAULT, "cuda_core_gemv": "cuda_core_gemv"}


def test_trtllm_default_is_config_0_or_the_gemv_below_m5():
    gemv = TacticResult(21, "cuda_core_gemv", "ok")
    tiles = [TacticResult(1, FAST, "ok"), TacticResult(0, DEFAULT, "error")]
    assert ranking.trtllm_default(1, tiles) == DEFAULT  # config 0 even when it failed
    for m in (1, 2, 3, 4):
        assert ranking.trtllm_default(m, [*tiles, gemv]) == "cuda_core_gemv"
    for m in (5, 15, 16, 4096):  # the GEMV runs up to M=15, but the plugins stop at 4
        assert ranking.trtllm_default(m, [*tiles, gemv]) == DEFAULT
    # A GEMV the binary does not have is not taken; a failing one still is (TensorRT-LLM
    # would take it too). Case-mode entries have no config index.
    assert ranking.trtllm_default(1, [*tiles, replace(gemv, status="not_compiled")]) == DEFAULT
    assert ranking.trtllm_default(1, [*tiles, replace(gemv, status="error")]) == \
        "cuda_core_gemv"
    assert ranking.trtllm_default(2, [TacticResult(None, FAST, "ok"),
                                      TacticResult(None, "cuda_core_gemv", "ok")]) == \
        "cuda_core_gemv"
    assert ranking.trtllm_default(8, [TacticResult(None, FAST, "ok")]) == FAST
    assert ranking.trtllm_default(1, []) is None


def test_audit_takes_the_binarys_default_and_the_rule_without_one():
    gemv = TacticResult(2, "cuda_core_gemv", "ok", timing=Timing(median_us=5.0))
    record = synthetic.problem("llama3-8b", "o", 4096, 4096, 1, "fp16", 1.0, 1.0, 1.0).record
    # A record written before the binary reported its default: the rule picks the GEMV.
    problem = ProblemResult(None, None, replace(record, default_tactic=None),
                            [tactic(0, DEFAULT, 11.0), tactic(1, FAST, 10.0), gemv])
    a = ranking.audit(problem)
    assert a.default_tactic == "cuda_core_gemv" and a.default_rank == 1
    problem.record = replace(record, default_tactic=DEFAULT)
    a = ranking.audit(problem)
    assert a.default_tactic == DEFAULT and a.default_rank == 3


def test_loss_in_microseconds_and_fraction():
    assert ranking.loss(40.0, 25.0) == (pytest.approx(15.0), pytest.approx(0.6))
    assert ranking.loss(None, 25.0) == (None, None)
    assert ranking.loss(40.0, None) == (None, None)


def test_audit_when_the_default_loses():
    p = synthetic.problem("llama3-8b", "o", 4096, 4096, 256, "fp16", 40.0, 25.0, 50.0)
    a = ranking.audit(p)
    assert a.best_tactic == FAST and a.best_us == 25.0
    assert a.default_tactic == DEFAULT and a.default_us == 40.0
    assert a.default_rank == 2
    assert a.default_loss_us == pytest.approx(15.0)
    assert a.default_loss == pytest.approx(0.6)
    assert a.tactics_timed == 2 and a.tactics_failed == 1
    # TensorRT-LLM's estimate could not be computed: the reason is carried through.
    assert a.estimate_status == "unavailable"
    assert a.estimate_reason == synthetic.UNAVAILABLE
    assert a.estimate_us is None and a.estimate_loss is None


def test_audit_when_the_default_wins_and_with_an_estimate():
    p = synthetic.problem("llama3-8b", "o", 4096, 4096, 1, "fp16", 8.0, 9.0, 20.0)
    p.record = replace(p.record, trtllm_estimate=Estimate("ok", tactic=FAST))
    a = ranking.audit(p)
    assert a.default_rank == 1 and a.default_loss == 0.0
    assert a.estimate_tactic == FAST and a.estimate_us == 9.0
    assert a.estimate_loss_us == pytest.approx(1.0)
    assert a.estimate_loss == pytest.approx(0.125)


def test_audit_when_the_default_was_not_timed():
    p = synthetic.problem("llama3-8b", "o", 4096, 4096, 1, "fp16", 8.0, 9.0, 20.0)
    p.tactics[0] = tactic(0, DEFAULT, None, "not_compiled")
    a = ranking.audit(p)
    assert a.best_tactic == FAST
    assert a.default_us is None and a.default_rank is None and a.default_loss is None


def test_default_summary_over_the_synthetic_sweep():
    doc = synthetic.doc()
    audits = [ranking.audit(p) for p in doc.problems]
    assert audits[2].problem == "llama3-8b/down fp16 M=1"
    s = ranking.default_summary(audits)
    # Default wins the 4 problems at M=1 and loses 60% (15 us) on the 4 at M=256.
    assert s.problems == 8
    assert s.default_is_best == 4
    assert s.within_5pct == 4
    assert s.median_loss == pytest.approx(0.3)
    assert s.worst_loss == pytest.approx(0.6)
    assert s.worst_problem == "llama3-8b/o fp16 M=256"
    assert s.total_loss_us == pytest.approx(60.0)
    assert ranking.winners(audits) == {DEFAULT: 4, FAST: 4}
    assert ranking.default_summary([]).problems == 0


def test_tactic_names_parse_back_to_the_tactic_space():
    from w4a16.tactics import Tactic, all_tactics

    for each in all_tactics():
        assert Tactic.from_name(each.name) == each
        assert Tactic.from_name(each.name + "_cudakernelflag") == each
    for bad in ("cublas", "tile128x16x32_cluster1x1x1_coop", "tile64x16x64_cluster1x1x1_coop",
                "tile128x16x64_cluster1x1x1_coopX"):
        with pytest.raises(ValueError):
            Tactic.from_name(bad)


def _shapes(times: dict[str, dict[str, float | None]], m: int = 16) -> list[ProblemResult]:
    """One problem per layer at one M; times[layer][tactic] (None: not compiled)."""
    out = []
    for layer, by_tactic in times.items():
        p = synthetic.problem("llama3-8b", layer, 4096, 4096, m, "fp16", 1.0, 1.0, 20.0)
        p.tactics = [tactic(i, name, us) if us is not None else
                        tactic(i, name, None, "not_compiled")
                        for i, (name, us) in enumerate(by_tactic.items())]
        out.append(p)
    return out


def test_held_out_table_is_learned_without_the_problem_it_scores():
    other = "tile64x64x64_cluster1x1x1_pingpong"
    problems = _shapes({
        "o": {DEFAULT: 10.0, FAST: 12.0, other: 30.0},
        "qkv": {DEFAULT: 20.0, FAST: 24.0, other: 40.0},
        # FAST wins here, but the other two shapes vote for DEFAULT: this shape pays 10%.
        "down": {DEFAULT: 11.0, FAST: 10.0, other: 40.0},
    })
    picks = ranking.held_out_picks(problems)
    assert [p.tactic for p in picks] == [DEFAULT, DEFAULT, DEFAULT]
    assert [p.trained_on for p in picks] == [2, 2, 2]
    assert picks[0].loss == 0.0 and picks[1].loss == 0.0
    assert picks[2].loss == pytest.approx(0.1) and picks[2].loss_us == pytest.approx(1.0)


def test_held_out_table_uses_the_geometric_mean_and_needs_a_time_on_every_shape():
    other = "tile64x64x64_cluster1x1x1_pingpong"
    problems = _shapes({
        # Scored shape: FAST 2% off, DEFAULT 4x off.
        "o": {DEFAULT: 40.0, FAST: 10.2, other: 10.0},
        # Training: `other` is best on one shape but not compiled on the other, so it is out;
        # FAST (slowdowns 1.1, 1.0) beats DEFAULT (1.0, 2.0) on the geometric mean.
        "qkv": {DEFAULT: 10.0, FAST: 11.0, other: 9.0},
        "down": {DEFAULT: 20.0, FAST: 10.0, other: None},
    })
    pick = ranking.held_out_picks(problems)[0]
    assert pick.tactic == FAST and pick.trained_on == 2
    assert pick.loss == pytest.approx(0.02)


def test_held_out_table_is_none_for_a_problem_alone_at_its_m_and_dtype():
    problems = _shapes({"o": {DEFAULT: 10.0, FAST: 12.0}, "qkv": {DEFAULT: 9.0, FAST: 8.0}})
    problems[1].record = replace(problems[1].record, problem=replace(problems[1].problem, m=32))
    bf16 = _shapes({"down": {DEFAULT: 10.0, FAST: 12.0}})
    bf16[0].record = replace(bf16[0].record, problem=replace(bf16[0].problem, dtype="bf16"))
    assert ranking.held_out_picks(problems + bf16) == [None, None, None]
    # Same shape twice at one M (e.g. a repeated run) does not train on itself.
    twice = _shapes({"o": {DEFAULT: 10.0, FAST: 12.0}}) * 2
    assert ranking.held_out_picks(twice) == [None, None]
