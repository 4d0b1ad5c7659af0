"""Run w4a16SM90Bench on one weight shape and stream its JSON-line records back.

The binary writes JSON lines on stdout (device, then per problem a `problem` record and one
`tactic` record per candidate) and progress on stderr, which goes to a log file so the
sweep's own progress lines stay readable.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from w4a16 import paths
from w4a16.bench.shapes import WeightShape
from w4a16.bench.timing import Plan
from w4a16.errors import UserError

Record = dict[str, Any]


def default_binary() -> Path:
    """$W4A16_BENCH_BINARY, else the main job's bench binary (build/full or build/slim,
    whichever was built last)."""
    env = os.environ.get("W4A16_BENCH_BINARY")
    return Path(env) if env else paths.default_build() / paths.BENCH_TARGET


def command(binary: Path, shape: WeightShape, ms: tuple[int, ...], dtype: str, group: int,
            quant: str, plan: Plan, tactics: str = "all", seed: int = 1234) -> list[str]:
    return [str(binary), "--n", str(shape.n), "--k", str(shape.k),
            "--m", ",".join(str(m) for m in ms), "--group", str(group), "--dtype", dtype,
            "--quant", quant, "--label", shape.label, "--tactics", tactics,
            "--seed", str(seed), *plan.binary_args()]


def parse_lines(lines: Iterator[str]) -> Iterator[Record]:
    """JSON records from the binary's stdout; anything else is an error worth seeing."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise UserError(f"bench binary wrote a line that is not JSON: {line[:200]!r}") from None
        if not isinstance(record, dict) or "record" not in record:
            raise UserError(f"bench binary wrote an unexpected record: {line[:200]!r}")
        yield record


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
