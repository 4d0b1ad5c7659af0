"""The kernel against the float64 torch reference, one test per (case, tactic).

Each case is written to a temporary directory and run through the case mode of the tool
beside the test binary once (all tactics); every tactic's output is then judged with the
error model. The cases cover the linear layers of Llama-3-8B and Llama-2-70B, M from 1 to
4096, group 64 and 128, fp16 and bf16, with and without zeros and bias, as a
pairwise-covering set rather than the full product (that would take hours). Needs an SM90
GPU and the built binaries.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from w4a16.casefiles import Case, CaseFileResult, CaseSpec, random_case, run_case, write_case
from w4a16.errors import UserError
from w4a16.reference import CheckResult, Reference
from w4a16.tactics import GEMV_TACTIC, all_tactics

from .support import judge_tactic, seed_for, sm90_skip_reason, tool_or_skip

# (N, K) of each linear layer; gate and up share a shape.
LAYERS = {
    "llama3-8b.qkv": (6144, 4096),
    "llama3-8b.o": (4096, 4096),
    "llama3-8b.gate_up": (14336, 4096),
    "llama3-8b.down": (4096, 14336),
    "llama2-70b.qkv": (10240, 8192),
    "llama2-70b.o": (8192, 8192),
    "llama2-70b.gate_up": (28672, 8192),
    "llama2-70b.down": (8192, 28672),
    # Not model layers: N and K that are not multiples of the larger tiles.
    "edge.n200_k192": (200, 192),
    "edge.n8_k128": (8, 128),
}

# (layer, M, group, dtype, quant op, bias, alpha). Every pair of (dtype, group, quant op,
# bias) values occurs at least once; every layer once; M covers 1..4096 including values
# that are not multiples of any tile.
CASES = [
    ("llama3-8b.qkv", 1, 128, "fp16", "scale_only", False, 1.0),
    ("llama3-8b.o", 4096, 64, "bf16", "scale_zeros", True, 1.0),
    ("llama3-8b.gate_up", 16, 64, "fp16", "scale_zeros", True, 1.0),
    ("llama3-8b.down", 255, 128, "bf16", "scale_only", True, 0.5),
    ("llama2-70b.qkv", 33, 128, "bf16", "scale_zeros", False, 1.0),
    ("llama2-70b.o", 1024, 128, "fp16", "scale_only", True, 1.0),
    ("llama2-70b.gate_up", 7, 64, "bf16", "scale_only", False, 1.0),
    ("llama2-70b.down", 128, 64, "fp16", "scale_zeros", False, 1.25),
    ("edge.n200_k192", 5, 64, "bf16", "scale_zeros", True, 1.0),
    ("edge.n8_k128", 1, 128, "fp16", "scale_only", True, 2.0),
]


def _spec(layer: str, m: int, g: int, dtype: str, op: str, bias: bool, alpha: float) -> CaseSpec:
    n, k = LAYERS[layer]
    return CaseSpec(m=m, n=n, k=k, group_size=g, dtype=dtype, quant_op=op, alpha=alpha,
                    has_bias=bias)  # fmt: skip


SPECS = {f"{c[0]}_{_spec(*c).label}": _spec(*c) for c in CASES}
# Every CUTLASS tactic and the heuristic's GEMV entry (not compiled where the sources lack it).
TACTICS = [t.name for t in all_tactics()] + [GEMV_TACTIC]
# The series' 256-row tiles (fix 0008): sources without it offer none of these.
ROW256_TACTICS = {t.name for t in all_tactics()} - {t.name for t in all_tactics(row256=False)}
# Entries the binary reports beyond TACTICS are judged together under this id.
EXTRAS = "extra_tactics"

pytestmark = pytest.mark.gpu


@dataclass
class Outcome:
    """One case after the binary ran it: what it reported and what it should have computed."""

    case: Case
    result: CaseFileResult
    _references: dict[str, Reference] = field(default_factory=dict)

    def reference(self, tactic: str) -> Reference:
        """The reference with `tactic`'s error model (the GEMV's differs), computed on first
        use: cases whose tactics are all not_compiled never need it."""
        key = "gemv" if tactic == GEMV_TACTIC else "cutlass"
        if key not in self._references:
            self._references[key] = self.case.reference_for(tactic, device="cuda")
        return self._references[key]

    @property
    def contract_error(self) -> str | None:
        """Why the reported tactic list breaks the case-mode contract, if it does."""
        reported = [t.name for t in self.result.tactics]
        offered = set(TACTICS) if ROW256_TACTICS & set(reported) else set(TACTICS) - ROW256_TACTICS
        missing = sorted(offered - set(reported))
        repeated = sorted({n for n in reported if reported.count(n) > 1})
        if missing or repeated:
            return f"asked for all tactics; missing {missing}, reported twice {repeated}"
        return None


class CaseRunner:
    """Runs each case once and keeps only the latest (GPU memory and disk stay bounded).

    A case the binary cannot run fails each of its tests with the same message, without
    running it again.
    """

    def __init__(self, binary: Path, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.name: str | None = None
        self.outcome: Outcome | str | None = None

    def get(self, name: str) -> Outcome:
        if name != self.name:
            self._drop()
            self.name = name
            self.outcome = self._run(name)
        if isinstance(self.outcome, str):
            pytest.fail(self.outcome)
        assert self.outcome is not None
        return self.outcome

    def _run(self, name: str) -> Outcome | str:
        directory = self.workdir / name
        case = random_case(SPECS[name], seed=seed_for(name))
        write_case(directory, case)
        try:
            result = run_case(self.binary, directory, timeout_s=600)
        except UserError as exc:
            return str(exc)
        return Outcome(case, result)

    def _drop(self) -> None:
        if self.name is not None:
            shutil.rmtree(self.workdir / self.name, ignore_errors=True)
        self.name, self.outcome = None, None


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseRunner]:
    reason = sm90_skip_reason()  # the GPU first: CI has none, so it skips here
    if reason:
        pytest.skip(reason)
    runner = CaseRunner(tool_or_skip(), tmp_path_factory.mktemp("w4a16_cases"))
    yield runner
    runner._drop()


def _verdict(outcome: Outcome, tactic: str) -> tuple[str, str, CheckResult | None]:
    """('pass' | 'skip' | 'fail', why, the check if the tactic produced an output)."""
    if outcome.result.get(tactic) is None and tactic in ROW256_TACTICS:
        # the contract check allows this, nothing else
        return "skip", f"{tactic}: these kernel sources have no 256-row tiles (fix 0008)", None
    return judge_tactic(outcome.result, outcome.case.spec, tactic, outcome.reference)


PARAMS = [(name, tactic) for name in SPECS for tactic in [*TACTICS, EXTRAS]]


@pytest.mark.parametrize(("name", "tactic"), PARAMS, ids=[f"{n}-{t}" for n, t in PARAMS])
def test_tactic_matches_reference(
    runner: CaseRunner, record_property: Callable[[str, object], None], name: str, tactic: str
) -> None:
    outcome = runner.get(name)
    record_property("case", name)
    record_property("tactic", tactic)
    record_property("device", outcome.result.device)
    if outcome.contract_error:
        pytest.fail(outcome.contract_error)
    if tactic == EXTRAS:
        names = [t.name for t in outcome.result.tactics if t.name not in TACTICS]
        verdicts = [_verdict(outcome, t) for t in names]
    else:
        names, verdicts = [tactic], [_verdict(outcome, tactic)]
    checks = [check for _, _, check in verdicts if check is not None]
    if checks:
        record_property("rel_error", max(c.rel_error for c in checks))
        record_property("max_violation", max(c.max_violation for c in checks))
    failures = [why for kind, why, _ in verdicts if kind == "fail"]
    assert not failures, f"on {name}: " + "; ".join(failures)
    if not names:
        pytest.skip("the binary reported no tactics beyond tactics.py's")
    if all(kind == "skip" for kind, _, _ in verdicts):
        pytest.skip("; ".join(why for _, why, _ in verdicts))
