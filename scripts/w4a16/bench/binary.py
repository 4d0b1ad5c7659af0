"""Run w4a16SM90Bench on one weight shape and stream its JSON-line records back, typed.

The binary writes JSON lines on stdout (device, then per problem a `problem` record, one
`tactic` record per candidate and a `stream` record) and progress on stderr, which goes to a
log file so the sweep's own progress lines stay readable. `read_record` is where the lines become
problem.DeviceRecord, ProblemRecord, TacticRecord and StreamRecord.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from w4a16 import paths
from w4a16.bench.problem import (
    DeviceRecord,
    JsonObject,
    OtherRecord,
    Problem,
    ProblemRecord,
    Record,
    StreamRecord,
    TacticRecord,
)
from w4a16.bench.timing import Sampling
from w4a16.errors import UserError


@dataclass(frozen=True)
class RunOptions:
    """How the binary times each problem: the sampling settings, which tactics, the input seed."""

    sampling: Sampling = field(default_factory=Sampling)
    tactics: str = "all"
    seed: int = 1234


def default_bench_binary() -> Path:
    """$W4A16_BENCH_BINARY, else the main job's bench binary (build/full or build/slim,
    whichever was built last)."""
    env = os.environ.get("W4A16_BENCH_BINARY")
    return Path(env) if env else paths.default_build() / paths.BENCH_TARGET


def command(binary: Path, problems: Sequence[Problem],
            options: RunOptions | None = None) -> list[str]:
    """One run of the binary over `problems`: one weight shape, dtype, group and quant op,
    each problem one M (in the order given)."""
    if not problems:
        raise ValueError("the binary runs at least one problem")
    first = problems[0]
    if any(replace(p, m=first.m) != first for p in problems):
        raise ValueError("one run of the bench binary covers one shape, dtype, group and "
                         "quant op; only M may differ")
    options = options or RunOptions()
    return [str(binary), "--n", str(first.n), "--k", str(first.k),
            "--m", ",".join(str(p.m) for p in problems), "--group", str(first.group),
            "--dtype", first.dtype, "--quant", first.quant, "--label", first.label,
            "--tactics", options.tactics, "--seed", str(options.seed),
            *options.sampling.binary_args()]


def read_record(obj: JsonObject) -> Record:
    """One JSON line of the binary as its record type (the one place they are parsed)."""
    kind = obj.get("record")
    if kind == DeviceRecord.KIND:
        return DeviceRecord.from_json(obj)
    if kind == ProblemRecord.KIND:
        return ProblemRecord.from_json(obj)
    if kind == TacticRecord.KIND:
        return TacticRecord.from_json(obj)
    if kind == StreamRecord.KIND:
        return StreamRecord.from_json(obj)
    return OtherRecord(str(kind), {k: v for k, v in obj.items() if k != "record"})


def parse_lines(lines: Iterator[str], who: str = "bench binary") -> Iterator[Record]:
    """Records from a bench binary's stdout (ours, or a peer's, named by `who` in errors);
    anything else is an error worth seeing."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            raise UserError(f"{who} wrote a line that is not JSON: {line[:200]!r}") from None
        if not isinstance(obj, dict) or "record" not in obj:
            raise UserError(f"{who} wrote an unexpected record: {line[:200]!r}")
        try:
            yield read_record(obj)
        except (KeyError, ValueError) as exc:
            raise UserError(f"{who} wrote a record this tool cannot read ({exc}): "
                            f"{line[:200]!r}") from None


def run(cmd: list[str], log_path: Path, on_record: Callable[[Record], None],
        env: dict[str, str] | None = None) -> list[Record]:
    """Run the binary, calling on_record as each record arrives; returns them all.

    env: extra environment variables for the binary (experiment knobs, W4A16_X_*).

    A non-zero exit raises UserError with the end of the binary's stderr; the records that
    arrived before it are passed to on_record all the same.
    """
    if not Path(cmd[0]).is_file():
        raise UserError(f"bench binary {cmd[0]} not found: build it with `w4a16 build --no-run` "
                        "(it builds w4a16SM90Bench next to the test) or pass --binary")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    records: list[Record] = []
    with log_path.open("a") as log:
        prefix = " ".join(f"{k}={v}" for k, v in sorted((env or {}).items()))
        log.write("$ " + (prefix + " " if prefix else "") + " ".join(cmd) + "\n")
        log.flush()
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True,
                              env={**os.environ, **(env or {})}) as proc:
            assert proc.stdout is not None
            try:
                for record in parse_lines(iter(proc.stdout.readline, "")):
                    records.append(record)
                    on_record(record)
            except BaseException:
                proc.kill()
                raise
            code = proc.wait()
    if code != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise UserError(f"bench binary exited with {code}: {' | '.join(tail)} (log: {log_path})")
    return records
