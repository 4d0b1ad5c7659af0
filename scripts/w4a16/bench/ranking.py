"""Rank the measured tactics of one problem and audit TensorRT-LLM's choice against the best.

TensorRT-LLM's default is config 0 of its candidate list (what runs without profiling), or the
CUDA-core GEMV for M below its weight-only plugins' small-M fast path where the binary has it
(`trtllm_default`); its occupancy-based estimate is audited too when the binary could compute
it. The time lost is chosen - best, in microseconds and as a fraction of the best.

Tactic names are not all CUTLASS tiles (`cuda_core_gemv` is not): a name that does not parse
as a tile is a family of its own.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Protocol

from w4a16.bench.problem import JsonObject, ProblemResult, TacticResult
from w4a16.tactics import GEMV_TACTIC, Tactic

# TensorRT-LLM's weight-only plugins take the CUDA-core GEMV for M below this, where it exists.
GEMV_BELOW_M = 5
# Case and bench statuses that mean the binary has no kernel for a tactic at all.
ABSENT_STATUSES = ("not_compiled",)


class Candidate(Protocol):
    """A tactic as a binary lists it: a name, a status and (bench records) its place in the
    heuristic's list."""

    @property
    def tactic(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def config_index(self) -> int | None: ...


def timed(tactics: Iterable[TacticResult]) -> list[TacticResult]:
    """Tactics that produced a time, fastest first (ties: lower config index first)."""
    ok = [t for t in tactics if t.timed]
    return sorted(ok, key=lambda t: (float(t.median_us or 0.0), t.config_index or 0))


def tile_of(tactic: str) -> str:
    """`tile128x16x64_cluster2x1x1_coop` -> `128x16`; a name that is not a CUTLASS tile
    (`cuda_core_gemv`) is its own family."""
    try:
        return Tactic.from_name(tactic).tile
    except ValueError:
        return tactic


def trtllm_default(m: int, tactics: Iterable[Candidate]) -> str | None:
    """The tactic TensorRT-LLM runs without profiling: the CUDA-core GEMV for M < 5 where the
    binary reports it as built, else config 0 of the heuristic's list (the lowest
    `config_index`, or the first entry). None for an empty list. The M < 5 rule is that of
    TensorRT-LLM's older weight-only plugins; newer ones profile the GEMV as a tactic instead.

    The bench binary applies this rule itself and reports the result in its problem record
    (`default_tactic`); this copy serves records that do not carry it.
    """
    entries = list(tactics)
    if not entries:
        return None
    if m < GEMV_BELOW_M and any(t.tactic == GEMV_TACTIC and t.status not in ABSENT_STATUSES
                                for t in entries):
        return GEMV_TACTIC
    indexed = [t for t in entries if t.config_index is not None]
    return (min(indexed, key=lambda t: t.config_index or 0) if indexed else entries[0]).tactic


def default_of(problem: ProblemResult) -> str | None:
    """The default the binary reported for this problem; the rule above where the record
    does not say (records written before the binary reported it)."""
    return problem.default_tactic or trtllm_default(problem.problem.m, problem.tactics)


def best_per_tile(tactics: Iterable[TacticResult]) -> dict[str, TacticResult]:
    """The fastest cluster shape of each CTA tile."""
    out: dict[str, TacticResult] = {}
    for t in timed(tactics):
        out.setdefault(tile_of(t.tactic), t)
    return out


def time_of(tactics: Iterable[TacticResult], name: str | None) -> float | None:
    if name is None:
        return None
    for t in tactics:
        if t.tactic == name and t.status == "ok" and t.median_us is not None:
            return float(t.median_us)
    return None


def loss(chosen_us: float | None, best_us: float | None) -> tuple[float | None, float | None]:
    """(chosen - best in us, the same as a fraction of best); None where unknown."""
    if chosen_us is None or best_us is None or best_us <= 0:
        return None, None
    return chosen_us - best_us, chosen_us / best_us - 1.0


@dataclass(frozen=True)
class Audit:
    """The best tactic of one problem, and how TensorRT-LLM's default and its occupancy
    estimate compare with it."""

    best_tactic: str | None
    best_us: float | None
    default_tactic: str | None
    default_us: float | None
    default_rank: int | None
    default_loss_us: float | None
    default_loss: float | None
    estimate_status: str
    estimate_reason: str | None
    estimate_tactic: str | None
    estimate_us: float | None
    estimate_loss_us: float | None
    estimate_loss: float | None
    tactics_timed: int
    tactics_failed: int
    problem: str  # the problem's name (Problem.name)

    def to_json(self) -> JsonObject:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def audit(problem: ProblemResult) -> Audit:
    """Best tactic, the default's and the estimate's time, rank and loss for one problem."""
    tactics = problem.tactics
    ranked = timed(tactics)
    best = ranked[0] if ranked else None
    best_us = float(best.median_us) if best and best.median_us is not None else None
    default = default_of(problem)
    default_us = time_of(tactics, default)
    names = [t.tactic for t in ranked]
    estimate = problem.record.trtllm_estimate
    estimate_name = estimate.tactic if estimate and estimate.status == "ok" else None
    estimate_us = time_of(tactics, estimate_name)
    d_loss_us, d_loss = loss(default_us, best_us)
    e_loss_us, e_loss = loss(estimate_us, best_us)
    return Audit(
        best_tactic=best.tactic if best else None,
        best_us=best_us,
        default_tactic=default,
        default_us=default_us,
        default_rank=names.index(default) + 1 if default in names else None,
        default_loss_us=d_loss_us,
        default_loss=d_loss,
        estimate_status=estimate.status if estimate else "absent",
        estimate_reason=estimate.reason if estimate else None,
        estimate_tactic=estimate_name,
        estimate_us=estimate_us,
        estimate_loss_us=e_loss_us,
        estimate_loss=e_loss,
        tactics_timed=len(ranked),
        tactics_failed=sum(t.status in ("error", "nonfinite") for t in tactics),
        problem=problem.problem.name,
    )


def winners(audits: Iterable[Audit]) -> Counter[str]:
    """How often each tactic was the fastest."""
    return Counter(a.best_tactic for a in audits if a.best_tactic)


@dataclass(frozen=True)
class DefaultSummary:
    """How good TensorRT-LLM's default is over a set of problems (problems == 0: none had a
    known loss, and the other fields are None)."""

    problems: int
    default_is_best: int | None = None
    within_5pct: int | None = None
    median_loss: float | None = None
    worst_loss: float | None = None
    worst_problem: str | None = None
    total_loss_us: float | None = None


def default_summary(audits: Sequence[Audit]) -> DefaultSummary:
    """How good config 0 is over a set of problems."""
    with_loss = [a for a in audits if a.default_loss is not None]
    losses = [a.default_loss for a in with_loss if a.default_loss is not None]
    if not losses:
        return DefaultSummary(problems=0)
    worst = max(with_loss, key=lambda a: a.default_loss or 0.0)
    return DefaultSummary(
        problems=len(losses),
        default_is_best=sum(a.default_rank == 1 for a in audits),
        within_5pct=sum(x <= 0.05 for x in losses),
        median_loss=statistics.median(losses),
        worst_loss=worst.default_loss,
        worst_problem=worst.problem,
        total_loss_us=sum(a.default_loss_us for a in audits if a.default_loss_us is not None),
    )


def _shape(problem: ProblemResult) -> tuple[str | None, str | None, int, int]:
    return problem.model, problem.layer, problem.problem.n, problem.problem.k


def _slowdowns(problem: ProblemResult) -> dict[str, float]:
    """Each timed tactic's time over the problem's best ({} where nothing was timed)."""
    ranked = timed(problem.tactics)
    if not ranked:
        return {}
    best = float(ranked[0].median_us or 0.0)
    return {t.tactic: float(t.median_us or 0.0) / best for t in ranked}


@dataclass(frozen=True)
class TablePick:
    """A static (M, dtype) table's pick for one problem, learned without that problem."""

    tactic: str
    trained_on: int  # how many other shapes the entry was learned from
    loss_us: float | None
    loss: float | None


def held_out_picks(problems: Sequence[ProblemResult]) -> list[TablePick | None]:
    """What a static M-bucket table would pick for each problem, learned without it.

    This prices the heuristic candidate of the decode issue without a GPU: a table keyed by
    (M, dtype) that names one tactic, as a patched heuristic could hard-code it. For each
    problem the table entry is learned from the *other* shapes at the same M and dtype (the
    tactic timed on all of them with the lowest geometric-mean slowdown against each one's
    best) and then scored on this problem, so no problem is scored by a table fitted to it.
    None where no other shape at that M and dtype was timed.
    """
    slowdowns = [_slowdowns(p) for p in problems]
    groups: dict[tuple[int, str], list[int]] = {}
    for i, p in enumerate(problems):
        groups.setdefault((p.problem.m, p.problem.dtype), []).append(i)
    out: list[TablePick | None] = []
    for p in problems:
        trained = [slowdowns[j] for j in groups[(p.problem.m, p.problem.dtype)]
                   if slowdowns[j] and _shape(problems[j]) != _shape(p)]
        common = set.intersection(*(set(s) for s in trained)) if trained else set()
        if not common:
            out.append(None)
            continue
        pick = min(common, key=lambda name: (
            statistics.geometric_mean([s[name] for s in trained]), name))
        ranked = timed(p.tactics)
        best_us = float(ranked[0].median_us or 0.0) if ranked else None
        loss_us, frac = loss(time_of(p.tactics, pick), best_us)
        out.append(TablePick(tactic=pick, trained_on=len(trained), loss_us=loss_us, loss=frac))
    return out
