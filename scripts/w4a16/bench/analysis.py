"""Derived numbers of one problem: roofline floor, fraction of it reached, the stream floor,
speedup over cuBLAS, and the heuristic audit. Pure: the inputs are the measured problem and
the machine's rates.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from w4a16.bench import ranking, roofline
from w4a16.bench.problem import Json, JsonObject, ProblemResult, as_object, get_str, opt_number


@dataclass(frozen=True)
class TileBest:
    """The fastest tactic of one CTA tile."""

    tactic: str
    median_us: float | None

    def to_json(self) -> JsonObject:
        return {"tactic": self.tactic, "median_us": self.median_us}


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num is not None and den else None


@dataclass(frozen=True)
class Analysis:
    """Everything the report shows for one problem. In JSON the audit's fields come first,
    then these, then the held-out table's pick (report.refresh adds it)."""

    audit: ranking.Audit
    best_per_tile: dict[str, TileBest]
    bytes: int
    flops: int
    floor_us: float
    memory_floor_us: float
    compute_floor_us: float
    bound: str
    fraction_of_floor_best: float | None
    fraction_of_floor_default: float | None
    cublas_us: float | None
    cublas_floor_us: float
    cublas_fraction_of_floor: float | None
    cublas_fraction_of_w4a16_floor: float | None
    speedup_best_vs_cublas: float | None
    speedup_default_vs_cublas: float | None
    int4pack_us: float | None
    int4pack_fraction_of_floor: float | None
    speedup_int4pack_vs_cublas: float | None
    speedup_best_vs_int4pack: float | None
    # The stream floor (the binary's `stream` record): the time of moving the problem's bytes
    # with no arithmetic, the share of the copy-rate memory floor that reaches, and the share
    # of the stream floor the best tactic reaches (stream time / best time).
    stream_us: float | None = None
    stream_fraction_of_memory_floor: float | None = None
    fraction_of_stream_best: float | None = None
    table: ranking.TablePick | None = None
    # Whether the held-out table was computed (report.refresh); its keys are written then.
    has_table: bool = False

    def with_table(self, pick: ranking.TablePick | None) -> Analysis:
        return replace(self, table=pick, has_table=True)

    def value(self, metric: str) -> float | None:
        """A numeric metric by its JSON name (`speedup_best_vs_cublas`, `best_us`, ...)."""
        source = self.audit if metric in {f.name for f in fields(ranking.Audit)} else self
        value = getattr(source, metric)
        return value if isinstance(value, int | float) else None

    def to_json(self) -> JsonObject:
        out = self.audit.to_json()
        for f in fields(self):
            if f.name in ("audit", "table", "has_table"):
                continue
            value = getattr(self, f.name)
            out[f.name] = ({k: v.to_json() for k, v in value.items()}
                           if f.name == "best_per_tile" else value)
        pick = self.table
        if self.has_table:
            out.update(table_tactic=pick and pick.tactic, table_loss_us=pick and pick.loss_us,
                       table_loss=pick and pick.loss)
        return out

    @classmethod
    def from_json(cls, obj: JsonObject) -> Analysis:
        audit_names = [f.name for f in fields(ranking.Audit)]
        audit = ranking.Audit(**{name: obj.get(name) for name in audit_names})  # type: ignore[arg-type]
        tiles = {tile: TileBest(get_str(as_object(t), "tactic"),
                                opt_number(as_object(t), "median_us"))
                 for tile, t in as_object(obj.get("best_per_tile") or {}).items()}
        own: dict[str, Json] = {f.name: obj.get(f.name) for f in fields(cls)
                                if f.name not in ("audit", "best_per_tile", "table",
                                                  "has_table")}
        table_tactic = obj.get("table_tactic")
        table = (ranking.TablePick(tactic=str(table_tactic), trained_on=0,
                                   loss_us=opt_number(obj, "table_loss_us"),
                                   loss=opt_number(obj, "table_loss"))
                 if isinstance(table_tactic, str) else None)
        return cls(audit=audit, best_per_tile=tiles, table=table,
                   has_table="table_tactic" in obj, **own)  # type: ignore[arg-type]


def analyse(result: ProblemResult, machine: roofline.Machine) -> Analysis:
    """Everything the report shows for one problem, from its measurements and the machine."""
    problem = result.problem
    audit = ranking.audit(result)
    fl = machine.floor(problem.bytes, problem.flops, problem.dtype)
    dense = machine.floor(problem.dense_bytes, problem.flops, problem.dtype)
    int4_floor = machine.floor(problem.int4pack_bytes, problem.flops, problem.dtype)
    cublas_us = _float(result.cublas.median_us if result.cublas else None)
    int4_us = _float(result.int4pack.median_us if result.int4pack else None)
    stream_us = _float(result.stream.median_us if result.stream else None)
    return Analysis(
        audit=audit,
        best_per_tile={tile: TileBest(t.tactic, t.median_us)
                       for tile, t in ranking.best_per_tile(result.tactics).items()},
        bytes=problem.bytes, flops=problem.flops, floor_us=fl.us,
        memory_floor_us=fl.memory_s * 1e6, compute_floor_us=fl.compute_s * 1e6, bound=fl.bound,
        fraction_of_floor_best=roofline.fraction_of_floor(fl.us, audit.best_us),
        fraction_of_floor_default=roofline.fraction_of_floor(fl.us, audit.default_us),
        cublas_us=cublas_us, cublas_floor_us=dense.us,
        cublas_fraction_of_floor=roofline.fraction_of_floor(dense.us, cublas_us),
        cublas_fraction_of_w4a16_floor=roofline.fraction_of_floor(fl.us, cublas_us),
        speedup_best_vs_cublas=_ratio(cublas_us, audit.best_us),
        speedup_default_vs_cublas=_ratio(cublas_us, audit.default_us),
        int4pack_us=int4_us,
        int4pack_fraction_of_floor=roofline.fraction_of_floor(int4_floor.us, int4_us),
        speedup_int4pack_vs_cublas=_ratio(cublas_us, int4_us),
        speedup_best_vs_int4pack=_ratio(int4_us, audit.best_us),
        stream_us=stream_us,
        stream_fraction_of_memory_floor=roofline.fraction_of_floor(fl.memory_s * 1e6, stream_us),
        fraction_of_stream_best=roofline.fraction_of_floor(stream_us, audit.best_us)
        if stream_us is not None else None,
    )


def _float(x: float | None) -> float | None:
    return float(x) if x is not None else None
