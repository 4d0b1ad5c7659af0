"""Time the bridge against one process per case, in a clean Python process.

Run by `test_bridge_speed.py` as a subprocess, or by hand:

    python py_tests/bridge/speed_harness.py --binary build/.../many --work /tmp/speed

Why a separate process: inside a running pytest session, pytester's in-process runs record
every hook call (its HookRecorder) and pytest's exit-time garbage collection walks the outer
session's heap, so the bridge, which makes many hook calls, is charged for the test harness.
Here each pytest session is `pytest.main` in a process that imported pytest once (imports
are not timed), with nothing else loaded, as a user's run would be.

What is timed (each the best of --runs, the same number for every kind so that none gets more
chances, and in turns, one run of each kind per round, so that a disturbed stretch of the
machine's time falls on every kind alike; (c0) once):
  (a) the binary alone, one process;
  (b) pytest collecting and running every case through the bridge;
  (c) the pytest-cpp way: one pytest item per case, each running its own process with
      --gtest_filter and reading that process's XML back (a stand-in plugin, written here);
  (c0) the same processes without pytest;
  (e) an empty pytest session with the same flags and without the bridge: pytest's fixed
      cost, part of both (b) and (c);
  (f) pytest reporting as many items that do no work, named as the cases, through the
      bridge's lean protocol (f_lean, the floor under (b)) and through pytest's own
      protocol (f_full, the floor under (c)): what pytest charges per item whatever the
      plugin, so that (b - f_lean) is the bridge's own cost of running the cases and
      (c - f_full) the one-process-per-case way's.
With --pytest-cpp, the real pytest-cpp plugin (when installed) is timed as (p) too.
Prints one JSON object (milliseconds) on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from w4a16.gtest.listing import list_cases

# Plugins unrelated to the bridge that may be installed; they are not what is measured.
UNRELATED = ("no:cacheprovider", "no:hypothesispytest", "no:benchmark", "no:randomly")

# A stand-in for pytest-cpp: one item per case, one process per item, XML read back.
ONE_PROCESS_PER_CASE_PLUGIN = """
import subprocess
import pytest
from junitparser import JUnitXml

BINARY = {binary!r}


def pytest_collect_file(file_path, parent):
    if file_path.name == "cases.gtest":
        return OneProcessFile.from_parent(parent, path=file_path)


class OneProcessFile(pytest.File):
    def collect(self):
        listing = subprocess.run([BINARY, "--gtest_list_tests"], capture_output=True,
                                 text=True, check=True).stdout
        suite = ""
        for line in listing.splitlines():
            if not line.startswith(" "):
                suite = line.strip()
            else:
                name = suite + line.split("#")[0].strip()
                yield OneProcessCase.from_parent(self, name=name)


class OneProcessCase(pytest.Item):
    def runtest(self):
        xml = self.path.parent / "one.xml"
        proc = subprocess.run([BINARY, "--gtest_filter=" + self.name,
                               "--gtest_output=xml:" + str(xml)], capture_output=True)
        cases = [case for suite in JUnitXml.fromfile(str(xml)) for case in suite]
        assert proc.returncode == 0 and len(cases) == 1 and cases[0].is_passed
"""

# Items that do no work, one per case name: pytest's own per-item cost (collection, three
# reports through the hooks, gc of what they leave), with the lean protocol or pytest's.
IDLE_ITEMS_PLUGIN = """
import pytest
from w4a16.pytest_gtest.protocol import run_lean

NAMES = {names!r}
LEAN = {lean!r}


def pytest_collect_file(file_path, parent):
    if file_path.name == "cases.idle":
        return IdleFile.from_parent(parent, path=file_path)


class IdleFile(pytest.File):
    def collect(self):
        for name in NAMES:
            yield IdleCase.from_parent(self, name=name)


class IdleCase(pytest.Item):
    def runtest(self):
        pass

    def reportinfo(self):
        return self.path, None, self.name


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if LEAN and isinstance(item, IdleCase):
        run_lean(item, nextitem)
        return True
    return None
"""


def best_in_turns(runs: int, actions: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Fastest of `runs` timings of each action, in seconds (its least disturbed one), the
    actions taken in turns: one run of each per round."""
    best = dict.fromkeys(actions, float("inf"))
    for _ in range(runs):
        for key, action in actions.items():
            start = time.perf_counter()
            action()
            best[key] = min(best[key], time.perf_counter() - start)
    return best


def _session(folder: Path, args: list[str], expect_passed: int | None) -> Callable[[], None]:
    """One quiet in-process pytest session in `folder`; fails loudly on a wrong outcome."""
    import pytest

    def run() -> None:
        os.chdir(folder)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = pytest.main([*args, "-q", *(f"-p{p}" for p in UNRELATED)])
        wanted = pytest.ExitCode.NO_TESTS_COLLECTED if expect_passed is None else 0
        summary = out.getvalue().strip().splitlines()[-1:]
        if code != wanted or (expect_passed and f"{expect_passed} passed" not in out.getvalue()):
            raise SystemExit(f"session in {folder} ended with {code!r}: {summary}")

    return run


def measure(binary: Path, work: Path, runs: int, pytest_cpp: bool) -> dict[str, float]:
    names = [case.name for case in list_cases(binary)]
    folders = {name: work / name for name in ("bridge", "per_case", "empty", "idle_lean",
                                               "idle_full", "pytest_cpp")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pytest.ini").write_text("[pytest]\n")
    (folders["per_case"] / "conftest.py").write_text(
        ONE_PROCESS_PER_CASE_PLUGIN.format(binary=str(binary))
    )
    (folders["per_case"] / "cases.gtest").write_text("")
    for kind, lean in (("idle_lean", True), ("idle_full", False)):
        (folders[kind] / "conftest.py").write_text(IDLE_ITEMS_PLUGIN.format(names=names, lean=lean))
        (folders[kind] / "cases.idle").write_text("")
    without_cpp = ["-p", "no:cpp"]  # harmless when pytest-cpp is not installed
    bridge = _session(folders["bridge"], [f"--gtest-binary={binary}", *without_cpp], len(names))
    per_case = _session(folders["per_case"], ["-p", "no:w4a16_gtest", *without_cpp], len(names))
    empty = _session(folders["empty"], ["-p", "no:w4a16_gtest", *without_cpp], None)
    idle_lean, idle_full = (
        _session(folders[kind], ["-p", "no:w4a16_gtest", *without_cpp], len(names))
        for kind in ("idle_lean", "idle_full")
    )

    def bare_loop() -> None:
        xml = work / "one.xml"
        for name in names:
            subprocess.run(
                [str(binary), f"--gtest_filter={name}", f"--gtest_output=xml:{xml}"],
                capture_output=True,
                check=True,
            )

    for warm_up in (bridge, empty, idle_lean, idle_full):  # first runs pay for imports
        warm_up()
    kinds = {
        "a_binary_alone": lambda: subprocess.run([binary], capture_output=True, check=True),
        "b_bridge": bridge,
        "c_one_process_per_case": per_case,
        "e_empty_session": empty,
        "f_lean_idle_items": idle_lean,
        "f_full_idle_items": idle_full,
    }
    if pytest_cpp:
        copy = folders["pytest_cpp"] / "test_cases"
        copy.write_bytes(binary.read_bytes())
        copy.chmod(0o755)
        kinds["p_real_pytest_cpp"] = _session(
            folders["pytest_cpp"], ["-p", "no:w4a16_gtest", str(copy)], len(names)
        )
    times = best_in_turns(runs, kinds)
    times.update(best_in_turns(1, {"c0_bare_process_loop": bare_loop}))
    return {"cases": float(len(names))} | {key: value * 1000 for key, value in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", type=Path, required=True, help="gtest binary to run")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (created)")
    parser.add_argument(
        "--runs", type=int, default=3, help="timings of each kind, the best kept (default 3)"
    )
    parser.add_argument(
        "--pytest-cpp",
        action="store_true",
        help="also time the real pytest-cpp plugin (it must be installed)",
    )
    args = parser.parse_args(argv)
    if not args.binary.is_file():
        parser.error(f"no gtest binary at {args.binary}")
    times = measure(args.binary.resolve(), args.work.resolve(), args.runs, args.pytest_cpp)
    json.dump({key: round(value, 2) for key, value in times.items()}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
