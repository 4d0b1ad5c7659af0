"""The typed problem and the measurements the bench binary and torch report for it.

`Problem` is one GEMM out[M, N] = A[M, K] @ W[K, N] with its dtype, group and quant op; it
owns the bytes and flops the roofline needs. The binary's JSON lines are read into
`DeviceRecord`, `ProblemRecord`, `TacticRecord` and `StreamRecord` (binary.read_record does
it, once), and a sweep assembles them with the torch baselines into a `ProblemResult`, one
entry of bench.json's `problems`.

Every type has `to_json()` giving the keys and values the binary (or an earlier sweep) wrote,
in the same order, and `from_json()` reading them back. Fields a type does not know are kept
in `extra` and written back after the known ones, so records of a newer binary pass through
unchanged. Numbers are kept as they were read (an integral median stays an int), so a record
written back is the record that was read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, TypeAlias

from w4a16.bench.shapes import GROUP, QUANT, WeightShape

if TYPE_CHECKING:
    from w4a16.bench.analysis import Analysis

Json: TypeAlias = "None | bool | int | float | str | list[Json] | dict[str, Json]"
JsonObject: TypeAlias = "dict[str, Json]"

ACT_BYTES = 2  # fp16 and bf16


# ---- reading JSON values ----------------------------------------------------------------

def get_str(obj: JsonObject, key: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is not a string: {value!r}")
    return value


def get_int(obj: JsonObject, key: str) -> int:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} is not an integer: {value!r}")
    return value


def opt_str(obj: JsonObject, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def opt_int(obj: JsonObject, key: str) -> int | None:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def opt_number(obj: JsonObject, key: str) -> float | None:
    """The number as read (int or float), so that writing it back gives the same text."""
    value = obj.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def as_object(value: Json) -> JsonObject:
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {value!r}")
    return value


def numbers_of(value: Json) -> dict[str, float]:
    return {str(k): v for k, v in as_object(value).items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def extra_of(obj: JsonObject, known: Iterable[str]) -> JsonObject:
    skip = set(known)
    return {k: v for k, v in obj.items() if k not in skip}


def present(pairs: Iterable[tuple[str, Json]]) -> JsonObject:
    """The pairs whose value is not None: optional fields are absent, not null, in records."""
    return {k: v for k, v in pairs if v is not None}


# ---- the problem ------------------------------------------------------------------------

PROBLEM_KEYS = ("label", "m", "n", "k", "group", "dtype", "quant")


@dataclass(frozen=True)
class Problem:
    """One GEMM: out[M, N] = A[M, K] @ W[K, N], int4 weights in groups of `group` along K."""

    label: str
    m: int
    n: int
    k: int
    dtype: str = "fp16"
    group: int = GROUP
    quant: str = QUANT

    @classmethod
    def of(cls, shape: WeightShape, m: int, dtype: str, group: int = GROUP,
           quant: str = QUANT) -> Problem:
        return cls(shape.label, m, shape.n, shape.k, dtype, group, quant)

    @property
    def name(self) -> str:
        """`llama3-8b/o fp16 M=16`, as reports and failure lists name a problem."""
        return f"{self.label} {self.dtype} M={self.m}"

    @property
    def bytes(self) -> int:
        """What a W4A16 kernel must move, every operand once: int4 weights (N*K/2) + scales
        (K/g*N*2) [+ zeros, the same again] + A (M*K*2) + out (M*N*2)."""
        groups = (self.k // self.group) * self.n
        side = groups * ACT_BYTES * (2 if self.quant == "scale_zeros" else 1)
        return self.n * self.k // 2 + side + self.m * self.k * ACT_BYTES + \
            self.m * self.n * ACT_BYTES

    @property
    def dense_bytes(self) -> int:
        """What cuBLAS must move: fp16/bf16 weights (N*K*2) + A + out."""
        return (self.n * self.k + self.m * self.k + self.m * self.n) * ACT_BYTES

    @property
    def int4pack_bytes(self) -> int:
        """torch's int4 packing: int4 weights plus a (scale, zero) pair per group, A and out."""
        return Problem(self.label, self.m, self.n, self.k, self.dtype, self.group,
                       "scale_zeros").bytes

    @property
    def flops(self) -> int:
        return 2 * self.m * self.n * self.k

    def to_json(self) -> JsonObject:
        """The fields of the binary's records, in its order."""
        return {"label": self.label, "m": self.m, "n": self.n, "k": self.k,
                "group": self.group, "dtype": self.dtype, "quant": self.quant}

    @classmethod
    def from_json(cls, obj: JsonObject) -> Problem:
        return cls(label=get_str(obj, "label"), m=get_int(obj, "m"), n=get_int(obj, "n"),
                   k=get_int(obj, "k"), dtype=get_str(obj, "dtype"),
                   group=opt_int(obj, "group") or GROUP, quant=opt_str(obj, "quant") or QUANT)


# ---- measurements -----------------------------------------------------------------------

TIMING_KEYS = ("median_us", "min_us", "p90_us", "mean_us", "samples", "launches_per_sample",
               "copies")


@dataclass(frozen=True)
class Timing:
    """Per-launch statistics of one kernel; each field absent where it was not measured."""

    median_us: float | None = None
    min_us: float | None = None
    p90_us: float | None = None
    mean_us: float | None = None
    samples: int | None = None
    launches_per_sample: int | None = None
    copies: int | None = None

    def to_json(self) -> JsonObject:
        return present((f.name, getattr(self, f.name)) for f in fields(self))

    @classmethod
    def from_json(cls, obj: JsonObject) -> Timing:
        return cls(median_us=opt_number(obj, "median_us"), min_us=opt_number(obj, "min_us"),
                   p90_us=opt_number(obj, "p90_us"), mean_us=opt_number(obj, "mean_us"),
                   samples=opt_int(obj, "samples"),
                   launches_per_sample=opt_int(obj, "launches_per_sample"),
                   copies=opt_int(obj, "copies"))


@dataclass(frozen=True)
class TacticResult:
    """One tactic on one problem: its place in the heuristic's list, status and times."""

    config_index: int | None
    tactic: str
    status: str
    message: str | None = None
    occupancy: int | None = None
    timing: Timing = field(default_factory=Timing)
    extra: JsonObject = field(default_factory=dict)

    KEYS = ("config_index", "tactic", "status", "message", "occupancy", *TIMING_KEYS)

    @property
    def median_us(self) -> float | None:
        return self.timing.median_us

    @property
    def timed(self) -> bool:
        return self.status == "ok" and self.timing.median_us is not None

    def to_json(self) -> JsonObject:
        head = present((("config_index", self.config_index), ("tactic", self.tactic),
                         ("status", self.status), ("message", self.message),
                         ("occupancy", self.occupancy)))
        return {**head, **self.timing.to_json(), **self.extra}

    @classmethod
    def from_json(cls, obj: JsonObject, skip: Iterable[str] = ()) -> TacticResult:
        """skip: keys that belong elsewhere (a tactic record's problem fields)."""
        return cls(config_index=opt_int(obj, "config_index"), tactic=get_str(obj, "tactic"),
                   status=get_str(obj, "status"), message=opt_str(obj, "message"),
                   occupancy=opt_int(obj, "occupancy"), timing=Timing.from_json(obj),
                   extra=extra_of(obj, (*cls.KEYS, *skip)))


@dataclass(frozen=True)
class Baseline:
    """A torch measurement of the same problem (cuBLAS, torch's int4 matmul): `ok` with its
    times, or another status with the reason."""

    status: str
    reason: str | None = None
    timing: Timing = field(default_factory=Timing)
    extra: JsonObject = field(default_factory=dict)

    @property
    def median_us(self) -> float | None:
        """The median where the measurement succeeded, else None."""
        return self.timing.median_us if self.status == "ok" else None

    def to_json(self) -> JsonObject:
        head = present((("status", self.status), ("reason", self.reason)))
        return {**head, **self.timing.to_json(), **self.extra}

    @classmethod
    def from_json(cls, obj: JsonObject) -> Baseline:
        return cls(status=get_str(obj, "status"), reason=opt_str(obj, "reason"),
                   timing=Timing.from_json(obj),
                   extra=extra_of(obj, ("status", "reason", *TIMING_KEYS)))


@dataclass(frozen=True)
class Estimate:
    """TensorRT-LLM's occupancy-based pick as the binary computed it: `ok` with the tactic,
    or another status with the reason."""

    status: str
    tactic: str | None = None
    reason: str | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        head = present((("status", self.status), ("tactic", self.tactic),
                         ("reason", self.reason)))
        return {**head, **self.extra}

    @classmethod
    def from_json(cls, obj: JsonObject) -> Estimate:
        return cls(status=get_str(obj, "status"), tactic=opt_str(obj, "tactic"),
                   reason=opt_str(obj, "reason"),
                   extra=extra_of(obj, ("status", "tactic", "reason")))


# ---- the binary's records ---------------------------------------------------------------

@dataclass(frozen=True)
class DeviceRecord:
    """The binary's device line: the GPU it ran on (name, SM count, L2, ...)."""

    name: str
    extra: JsonObject = field(default_factory=dict)  # every other field, in the binary's order

    KIND = "device"

    def body(self) -> JsonObject:
        """The device's fields without the record kind."""
        return {"name": self.name, **self.extra}

    def to_json(self) -> JsonObject:
        return {"record": self.KIND, **self.body()}

    @classmethod
    def from_json(cls, obj: JsonObject) -> DeviceRecord:
        return cls(name=get_str(obj, "name"), extra=extra_of(obj, ("record", "name")))


PROBLEM_RECORD_KEYS = (*PROBLEM_KEYS, "copies", "set_bytes", "working_set_bytes",
                       "default_tactic", "occupancies", "trtllm_estimate")


@dataclass(frozen=True)
class ProblemRecord:
    """The binary's problem line, written before the problem's tactic lines."""

    problem: Problem
    copies: int | None = None
    set_bytes: int | None = None
    working_set_bytes: int | None = None
    # The tactic TensorRT-LLM runs without profiling, as the binary determined it.
    default_tactic: str | None = None
    occupancies: dict[str, float] | None = None
    trtllm_estimate: Estimate | None = None
    extra: JsonObject = field(default_factory=dict)

    KIND = "problem"

    def body(self) -> JsonObject:
        """The record's fields without the record kind."""
        occupancies: Json = dict(self.occupancies) if self.occupancies is not None else None
        estimate = self.trtllm_estimate.to_json() if self.trtllm_estimate else None
        rest = present((("copies", self.copies), ("set_bytes", self.set_bytes),
                         ("working_set_bytes", self.working_set_bytes),
                         ("default_tactic", self.default_tactic), ("occupancies", occupancies),
                         ("trtllm_estimate", estimate)))
        return {**self.problem.to_json(), **rest, **self.extra}

    def to_json(self) -> JsonObject:
        return {"record": self.KIND, **self.body()}

    @classmethod
    def from_json(cls, obj: JsonObject, skip: Iterable[str] = ()) -> ProblemRecord:
        estimate = obj.get("trtllm_estimate")
        occupancies = obj.get("occupancies")
        return cls(problem=Problem.from_json(obj), copies=opt_int(obj, "copies"),
                   set_bytes=opt_int(obj, "set_bytes"),
                   working_set_bytes=opt_int(obj, "working_set_bytes"),
                   default_tactic=opt_str(obj, "default_tactic"),
                   occupancies=numbers_of(occupancies) if occupancies is not None else None,
                   trtllm_estimate=Estimate.from_json(as_object(estimate))
                   if estimate is not None else None,
                   extra=extra_of(obj, ("record", *PROBLEM_RECORD_KEYS, *skip)))


@dataclass(frozen=True)
class TacticRecord:
    """The binary's tactic line: the problem's fields and one tactic's result."""

    problem: Problem
    result: TacticResult

    KIND = "tactic"

    def to_json(self) -> JsonObject:
        return {"record": self.KIND, **self.problem.to_json(), **self.result.to_json()}

    @classmethod
    def from_json(cls, obj: JsonObject) -> TacticRecord:
        return cls(problem=Problem.from_json(obj),
                   result=TacticResult.from_json(obj, skip=("record", *PROBLEM_KEYS)))


@dataclass(frozen=True)
class StreamRecord:
    """The binary's stream line, after a problem's tactic lines: the stream floor, the time its
    plain bandwidth kernel takes to move the problem's bytes (`ok` with the times, or another
    status with the reason)."""

    problem: Problem
    result: Baseline

    KIND = "stream"

    def to_json(self) -> JsonObject:
        return {"record": self.KIND, **self.problem.to_json(), **self.result.to_json()}

    @classmethod
    def from_json(cls, obj: JsonObject) -> StreamRecord:
        result = Baseline.from_json(extra_of(obj, ("record", *PROBLEM_KEYS)))
        return cls(problem=Problem.from_json(obj), result=result)


@dataclass(frozen=True)
class OtherRecord:
    """A record of a kind the sweep does not use; kept so the raw file holds every line."""

    kind: str
    extra: JsonObject = field(default_factory=dict)

    def to_json(self) -> JsonObject:
        return {"record": self.kind, **self.extra}


Record: TypeAlias = "DeviceRecord | ProblemRecord | TacticRecord | StreamRecord | OtherRecord"


# ---- one entry of bench.json ------------------------------------------------------------

@dataclass
class ProblemResult:
    """One problem of a sweep: the binary's problem record, every tactic's result, the torch
    baselines, the stream floor and (once the report computes it) the analysis."""

    model: str | None
    layer: str | None
    record: ProblemRecord
    tactics: list[TacticResult] = field(default_factory=list)
    cublas: Baseline | None = None
    int4pack: Baseline | None = None
    analysis: Analysis | None = None
    # Other GEMMs timed on the same problem by their own binary with the same method (vLLM's
    # Machete); kept apart from `tactics`, which are TensorRT-LLM's.
    peers: list[TacticResult] = field(default_factory=list)
    # The binary's stream floor: the same bytes moved with no arithmetic, same method.
    stream: Baseline | None = None

    @classmethod
    def of(cls, shape: WeightShape, record: ProblemRecord) -> ProblemResult:
        return cls(model=shape.model, layer=shape.layer, record=record)

    @property
    def problem(self) -> Problem:
        return self.record.problem

    @property
    def default_tactic(self) -> str | None:
        return self.record.default_tactic

    def to_json(self) -> JsonObject:
        out = present((("model", self.model), ("layer", self.layer)))
        out.update(self.record.body())
        out["tactics"] = [t.to_json() for t in self.tactics]
        if self.cublas is not None:
            out["cublas"] = self.cublas.to_json()
        if self.int4pack is not None:
            out["int4pack"] = self.int4pack.to_json()
        if self.stream is not None:
            out["stream"] = self.stream.to_json()
        if self.analysis is not None:
            out["analysis"] = self.analysis.to_json()
        if self.peers:
            out["peers"] = [t.to_json() for t in self.peers]
        return out

    @classmethod
    def from_json(cls, obj: JsonObject) -> ProblemResult:
        """An entry of bench.json, its analysis included where it has one."""
        from w4a16.bench.analysis import Analysis

        tactics = obj.get("tactics") or []
        cublas, int4pack, analysis = obj.get("cublas"), obj.get("int4pack"), obj.get("analysis")
        peers, stream = obj.get("peers") or [], obj.get("stream")
        own = ("model", "layer", "tactics", "cublas", "int4pack", "stream", "analysis", "peers")
        return cls(
            model=opt_str(obj, "model"), layer=opt_str(obj, "layer"),
            record=ProblemRecord.from_json(obj, skip=own),
            tactics=[TacticResult.from_json(as_object(t)) for t in
                     (tactics if isinstance(tactics, list) else [])],
            cublas=Baseline.from_json(as_object(cublas)) if cublas is not None else None,
            int4pack=Baseline.from_json(as_object(int4pack)) if int4pack is not None else None,
            stream=Baseline.from_json(as_object(stream)) if stream is not None else None,
            analysis=Analysis.from_json(as_object(analysis)) if analysis else None,
            peers=[TacticResult.from_json(as_object(t)) for t in
                   (peers if isinstance(peers, list) else [])])
