"""Run gtest cases in as few processes as possible, surviving crashes and hangs.

One process runs a whole batch through `--gtest_filter`. Its console output is
followed live (see stream.py) so that a case that hangs can be killed after its
own time limit, and a case that crashes can be named; the cases that had not
started yet then go to a fresh process, so one bad case costs one case.

Nothing here depends on pytest: the build driver and the pytest plugin share it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from w4a16.errors import UserError
from w4a16.gtest.environment import gtest_environment
from w4a16.gtest.junit import read_gtest_xml, write_report
from w4a16.gtest.listing import LISTING_TIMEOUT_S, list_cases
from w4a16.gtest.results import (
    FAILED,
    KIND_CRASH,
    KIND_DISABLED,
    KIND_NOT_RUN,
    KIND_TIMEOUT,
    PASSED,
    SKIPPED,
    CaseResult,
)
from w4a16.gtest.shards import Shard
from w4a16.gtest.stream import ProgressTracker

DEFAULT_CASE_TIMEOUT = 300.0
DEFAULT_BATCH_TIMEOUT = 3600.0
# One argv string may not exceed 128 KiB on Linux; keep each filter well below.
FILTER_LIMIT = 100_000
TAIL_LINES = 40


@dataclass
class _Process:
    """How one gtest process ended."""

    tracker: ProgressTracker
    returncode: int | None
    xml: Path
    premature: bool
    timed_out: str | None = None  # "case", "idle" or "batch"


@dataclass
class RunSummary:
    """Everything `run_all` learnt, plus counts for a summary line."""

    binary: Path
    results: dict[str, CaseResult] = field(default_factory=dict)
    duration: float = 0.0
    xml: Path | None = None
    shard: Shard | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results.values() if r.outcome == outcome)

    @property
    def passed(self) -> int:
        return self.count(PASSED)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def skipped(self) -> int:
        return self.count(SKIPPED)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def __str__(self) -> str:
        line = (
            f"{len(self.results)} cases: {self.passed} passed, {self.failed} failed, "
            f"{self.skipped} skipped in {self.duration:.2f} s"
        )
        if self.shard is not None:
            line = f"shard {self.shard}: {line}"
        return f"{line}; report: {self.xml}" if self.xml else line


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _describe_exit(returncode: int | None, premature: bool) -> str:
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"crashed with {name} (signal {-returncode})"
    hint = ""
    if returncode is not None and returncode > 128:
        with contextlib.suppress(ValueError):  # a shell reports a fatal signal N as 128+N
            hint = f" (128+{signal.Signals(returncode - 128).name}?)"
    if premature:
        return (
            f"exited prematurely with status {returncode}{hint} "
            "(TEST_PREMATURE_EXIT_FILE left behind)"
        )
    return f"exited with status {returncode}{hint} without writing its XML report"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _first_chunk(names: Sequence[str]) -> list[str]:
    """The leading names whose `:`-joined filter stays under FILTER_LIMIT (at least one)."""
    chunk: list[str] = []
    size = 0
    for name in names:
        if chunk and size + len(name) + 1 > FILTER_LIMIT:
            break
        chunk.append(name)
        size += len(name) + 1
    return chunk


def _run_process(
    binary: Path,
    names: Sequence[str],
    xml: Path,
    env: dict[str, str],
    case_timeout: float,
    batch_deadline: float,
) -> _Process:
    """Start one gtest process for `names` and follow it until it ends or is killed."""
    premature = xml.with_suffix(".running")
    env = {**env, "TEST_PREMATURE_EXIT_FILE": str(premature)}
    command = [
        str(binary.absolute()),  # "bin" alone would be looked up in PATH
        f"--gtest_filter={':'.join(names)}",
        f"--gtest_output=xml:{xml}",
    ]
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise UserError(f"cannot run {binary}: {exc.strerror or exc}") from exc
    tracker = ProgressTracker()
    timed_out: str | None = None
    at_eof = False
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    try:
        while True:
            now = time.monotonic()
            anchor = tracker.current.started if tracker.current else tracker.last_event
            case_deadline = anchor + case_timeout
            wait = min(case_deadline, batch_deadline) - now
            if wait <= 0:
                if batch_deadline <= case_deadline:
                    timed_out = "batch"
                else:
                    timed_out = "case" if tracker.current else "idle"
                break
            ready, _, _ = select.select([fd], [], [], min(wait, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                at_eof = True
                break
            tracker.feed(chunk)
        if at_eof:
            # Output closed: the process is exiting; give it a moment to do so.
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5.0)
    finally:
        _kill_group(proc)  # a hung case, or helpers the binary left behind
        proc.wait()
        proc.stdout.close()
    tracker.close()
    was_premature = premature.exists()
    premature.unlink(missing_ok=True)
    return _Process(tracker, proc.returncode, xml, was_premature, timed_out)


def _failure(
    name: str, message: str, kind: str, output: str = "", duration: float = 0.0
) -> CaseResult:
    details = message if not output.strip() else f"{message}\n\nlast output:\n{_tail(output)}"
    return CaseResult(
        name=name,
        outcome=FAILED,
        message=message,
        details=details,
        kind=kind,
        output=output,
        duration=duration,
    )


def _settle(
    run: _Process,
    names: list[str],
    case_timeout: float,
    batch_timeout: float,
) -> dict[str, CaseResult]:
    """Results this process determined; names left out go to the next process."""
    tracker = run.tracker
    abnormal = (
        run.timed_out is not None
        or (run.returncode is not None and run.returncode < 0)
        or run.premature
        or not run.xml.is_file()
    )
    reported: dict[str, CaseResult] = {}
    if run.xml.is_file():
        with contextlib.suppress(Exception):  # a truncated report counts as no report
            reported = read_gtest_xml(run.xml)
    if reported or not abnormal:
        results = {n: reported[n] for n in names if n in reported}
        for name, result in results.items():
            streamed = tracker.finished.get(name)
            if streamed is not None:
                result.output = streamed.output
        for name in names:
            if name not in results:
                results[name] = _failure(
                    name,
                    "not run: gtest did not report this case (not in the binary?)",
                    KIND_NOT_RUN,
                )
        return results

    wanted = set(names)
    results = {n: r for n, r in tracker.finished.items() if n in wanted}
    for name in tracker.disabled & wanted:
        results[name] = CaseResult(
            name=name,
            outcome=SKIPPED,
            kind=KIND_DISABLED,
            message="disabled in gtest (DISABLED_ prefix)",
        )
    started = set(tracker.started)
    pending = [n for n in names if n not in results and n not in started]
    ran_for = time.monotonic() - tracker.current.started if tracker.current else 0.0
    if run.timed_out == "batch":
        why = f"batch timed out after {batch_timeout:g} s"
        if tracker.current is not None:
            results[tracker.current.name] = _failure(
                tracker.current.name,
                f"{why} while this case ran",
                KIND_TIMEOUT,
                tracker.current_output(),
                ran_for,
            )
        for name in pending:
            results[name] = _failure(name, f"not run: {why} before it started", KIND_NOT_RUN)
        return results

    if run.timed_out:
        why = f"timed out after {case_timeout:g} s"
    else:
        why = _describe_exit(run.returncode, run.premature)
    if tracker.current is not None:
        name = tracker.current.name
        results[name] = _failure(
            name,
            f"{why} in {name}",
            KIND_CRASH if not run.timed_out else KIND_TIMEOUT,
            tracker.current_output(),
            ran_for,
        )
        return results
    # Nothing was running: the trouble was in suite or global set-up/tear-down.
    output = tracker.tail.decode("utf-8", errors="replace")
    suite = tracker.current_suite
    if suite is not None:
        blamed = [n for n in pending if n.split(".", 1)[0] == suite]
        where = f"during set-up or tear-down of suite {suite}"
    elif not tracker.started:
        blamed = pending
        where = "before any case started"
    else:
        blamed = []
        where = ""
    for name in blamed:
        results[name] = _failure(name, f"not run: the process {why} {where}", KIND_CRASH, output)
    return results


def run_cases(
    binary: str | os.PathLike[str],
    case_names: Sequence[str],
    *,
    xml_dir: str | os.PathLike[str],
    case_timeout: float = DEFAULT_CASE_TIMEOUT,
    batch_timeout: float = DEFAULT_BATCH_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> dict[str, CaseResult]:
    """Run the named cases (`Suite.Case`) of `binary`; a result for every name, in order.

    gtest's XML reports land in `xml_dir`. A case that crashes or exceeds
    `case_timeout` seconds is failed and the cases after it run in a new process;
    once `batch_timeout` seconds have passed in total, the rest are failed as not run.
    """
    if case_timeout <= 0 or batch_timeout <= 0:
        raise UserError("timeouts must be positive numbers of seconds")
    path = Path(binary)
    if not path.is_file():
        raise UserError(f"gtest binary not found: {path}")
    folder = Path(xml_dir)
    folder.mkdir(parents=True, exist_ok=True)
    base_env = gtest_environment(env)
    pending = list(dict.fromkeys(case_names))
    results: dict[str, CaseResult] = {}
    deadline = time.monotonic() + batch_timeout
    while pending:
        names = _first_chunk(pending)
        handle, xml_name = tempfile.mkstemp(prefix=f"{path.name}-", suffix=".xml", dir=folder)
        os.close(handle)
        xml = Path(xml_name)
        xml.unlink()  # gtest must create it, so its absence means the run ended early
        run = _run_process(path, names, xml, base_env, case_timeout, deadline)
        settled = _settle(run, names, case_timeout, batch_timeout)
        if not settled:  # no progress and nobody to blame: give up on this chunk
            why = _describe_exit(run.returncode, run.premature)
            settled = {n: _failure(n, f"not run: the process {why}", KIND_CRASH) for n in names}
        results.update(settled)
        pending = [n for n in pending if n not in results]
    return {name: results[name] for name in dict.fromkeys(case_names)}


def run_all(
    binary: str | os.PathLike[str],
    xml_out: str | os.PathLike[str] | None,
    *,
    gtest_filter: str = "*",
    case_timeout: float = DEFAULT_CASE_TIMEOUT,
    batch_timeout: float = DEFAULT_BATCH_TIMEOUT,
    env: Mapping[str, str] | None = None,
    shard: Shard | None = None,
) -> RunSummary:
    """Run every case of `binary` matching `gtest_filter`; write merged JUnit XML to `xml_out`.

    With `shard`, only the cases GoogleTest itself would run with GTEST_TOTAL_SHARDS and
    GTEST_SHARD_INDEX set to it (see w4a16.gtest.shards); they still run in batches.
    """
    start = time.monotonic()
    path = Path(binary)
    cases = list_cases(
        path,
        gtest_filter=gtest_filter,
        timeout=min(case_timeout, LISTING_TIMEOUT_S),
        env=env,
        shard=shard,
    )
    summary = RunSummary(binary=path, shard=shard)
    with tempfile.TemporaryDirectory(prefix="w4a16-gtest-") as tmp:
        summary.results = run_cases(
            path,
            [c.name for c in cases],
            xml_dir=tmp,
            case_timeout=case_timeout,
            batch_timeout=batch_timeout,
            env=env,
        )
    where = {c.name: c for c in cases}
    for result in summary.results.values():
        info = where[result.name]
        if result.file is None and info.file is not None:
            result.file, result.line = info.file, info.line
    if xml_out is not None:
        summary.xml = write_report({path.name: summary.results.values()}, xml_out)
    summary.duration = time.monotonic() - start
    return summary
