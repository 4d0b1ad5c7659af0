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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from w4a16.tactics import GEMV_TACTIC, Tactic

Record = Mapping[str, Any]

# TensorRT-LLM's weight-only plugins take the CUDA-core GEMV for M below this, where it exists.
GEMV_BELOW_M = 5
# Case and bench statuses that mean the binary has no kernel for a tactic at all.
ABSENT_STATUSES = ("not_compiled",)


def timed(tactics: Iterable[Record]) -> list[Record]:
    """Tactics that produced a time, fastest first (ties: lower config index first)."""
    ok = [t for t in tactics if t.get("status") == "ok" and t.get("median_us") is not None]
    return sorted(ok, key=lambda t: (float(t["median_us"]), int(t["config_index"])))


def tile_of(tactic: str) -> str:
    """`tile128x16x64_cluster2x1x1_coop` -> `128x16`; a name that is not a CUTLASS tile
    (`cuda_core_gemv`) is its own family."""
    try:
        return Tactic.from_name(tactic).tile
    except ValueError:
        return tactic


def trtllm_default(m: int, tactics: Iterable[Record]) -> str | None:
    """The tactic TensorRT-LLM runs without profiling: the CUDA-core GEMV for M < 5 where the
    binary reports it as built, else config 0 of the heuristic's list (the lowest
    `config_index`, or the first entry). None for an empty list.

    tactics: records with `tactic` (or `name`), `status` and optionally `config_index`.
    """
    entries = list(tactics)
    if not entries:
        return None

    def name(t: Record) -> str:
        return str(t.get("tactic", t.get("name")))

    if m < GEMV_BELOW_M and any(name(t) == GEMV_TACTIC and t.get("status") not in
                                ABSENT_STATUSES for t in entries):
        return GEMV_TACTIC
    indexed = [t for t in entries if t.get("config_index") is not None]
    return name(min(indexed, key=lambda t: int(t["config_index"])) if indexed else entries[0])


def best_per_tile(tactics: Iterable[Record]) -> dict[str, Record]:
    """The fastest cluster shape of each CTA tile."""
    out: dict[str, Record] = {}
    for t in timed(tactics):
        out.setdefault(tile_of(str(t["tactic"])), t)
    return out


def time_of(tactics: Iterable[Record], name: str | None) -> float | None:
    if name is None:
        return None
    for t in tactics:
        if t.get("tactic") == name and t.get("status") == "ok":
            return float(t["median_us"])
    return None


def loss(chosen_us: float | None, best_us: float | None) -> tuple[float | None, float | None]:
    """(chosen - best in us, the same as a fraction of best); None where unknown."""
    if chosen_us is None or best_us is None or best_us <= 0:
        return None, None
    return chosen_us - best_us, chosen_us / best_us - 1.0


def audit(problem: Record) -> dict[str, Any]:
    """Best tactic, the default's and the estimate's time, rank and loss for one problem."""
    tactics: Sequence[Record] = problem.get("tactics", [])
    ranked = timed(tactics)
    best = ranked[0] if ranked else None
    best_us = float(best["median_us"]) if best else None
    # The binary names the default; a record without one gets the same rule applied here.
    default = problem.get("default_tactic") or trtllm_default(int(problem.get("m", 0)), tactics)
    default_us = time_of(tactics, default)
    names = [t["tactic"] for t in ranked]
    estimate = problem.get("trtllm_estimate") or {}
    estimate_name = estimate.get("tactic") if estimate.get("status") == "ok" else None
    estimate_us = time_of(tactics, estimate_name)
    d_loss_us, d_loss = loss(default_us, best_us)
    e_loss_us, e_loss = loss(estimate_us, best_us)
    return {
        "best_tactic": best["tactic"] if best else None,
        "best_us": best_us,
        "default_tactic": default,
        "default_us": default_us,
        "default_rank": names.index(default) + 1 if default in names else None,
        "default_loss_us": d_loss_us,
        "default_loss": d_loss,
        "estimate_status": estimate.get("status", "absent"),
        "estimate_reason": estimate.get("reason"),
        "estimate_tactic": estimate_name,
        "estimate_us": estimate_us,
        "estimate_loss_us": e_loss_us,
        "estimate_loss": e_loss,
        "tactics_timed": len(ranked),
        "tactics_failed": sum(t.get("status") in ("error", "nonfinite") for t in tactics),
    }


def winners(audits: Iterable[Record]) -> Counter[str]:
    """How often each tactic was the fastest."""
    return Counter(a["best_tactic"] for a in audits if a.get("best_tactic"))


def default_summary(audits: Sequence[Record]) -> dict[str, Any]:
    """How good config 0 is over a set of problems."""
    losses = [a["default_loss"] for a in audits if a.get("default_loss") is not None]
    if not losses:
        return {"problems": 0}
    worst = max((a for a in audits if a.get("default_loss") is not None),
                key=lambda a: a["default_loss"])
    return {
        "problems": len(losses),
        "default_is_best": sum(a.get("default_rank") == 1 for a in audits),
        "within_5pct": sum(x <= 0.05 for x in losses),
        "median_loss": statistics.median(losses),
        "worst_loss": worst["default_loss"],
        "worst_problem": worst.get("problem"),
        "total_loss_us": sum(a["default_loss_us"] for a in audits
                             if a.get("default_loss_us") is not None),
    }


def _shape(problem: Record) -> tuple[Any, ...]:
    return problem.get("model"), problem.get("layer"), problem.get("n"), problem.get("k")


def _slowdowns(problem: Record) -> dict[str, float]:
    """Each timed tactic's time over the problem's best ({} where nothing was timed)."""
    ranked = timed(problem.get("tactics", []))
    if not ranked:
        return {}
    best = float(ranked[0]["median_us"])
    return {str(t["tactic"]): float(t["median_us"]) / best for t in ranked}


def held_out_picks(problems: Sequence[Record]) -> list[dict[str, Any] | None]:
    """What a static M-bucket table would pick for each problem, learned without it.

    This prices the heuristic candidate of the decode issue without a GPU: a table keyed by
    (M, dtype) that names one tactic, as a patched heuristic could hard-code it. For each
    problem the table entry is learned from the *other* shapes at the same M and dtype (the
    tactic timed on all of them with the lowest geometric-mean slowdown against each one's
    best) and then scored on this problem, so no problem is scored by a table fitted to it.
    None where no other shape at that M and dtype was timed.
    """
    slowdowns = [_slowdowns(p) for p in problems]
    groups: dict[tuple[Any, Any], list[int]] = {}
    for i, p in enumerate(problems):
        groups.setdefault((p.get("m"), p.get("dtype")), []).append(i)
    out: list[dict[str, Any] | None] = []
    for p in problems:
        trained = [slowdowns[j] for j in groups[(p.get("m"), p.get("dtype"))]
                   if slowdowns[j] and _shape(problems[j]) != _shape(p)]
        common = set.intersection(*(set(s) for s in trained)) if trained else set()
        if not common:
            out.append(None)
            continue
        pick = min(common, key=lambda name: (
            statistics.geometric_mean([s[name] for s in trained]), name))
        ranked = timed(p.get("tactics", []))
        best_us = float(ranked[0]["median_us"]) if ranked else None
        loss_us, frac = loss(time_of(p.get("tactics", []), pick), best_us)
        out.append({"tactic": pick, "trained_on": len(trained), "loss_us": loss_us,
                    "loss": frac})
    return out
