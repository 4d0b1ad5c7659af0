"""Run named evidence-gathering steps on the GPU machine and keep their raw output.

Each step's exact command line is appended to OUT/COMMANDS.md next to the files it writes,
so every committed GPU number has its command beside it, and OUT/binaries.json holds the
SHA-256 of every binary the call runs (see w4a16.fingerprint), taken after the build steps
and before any other. Steps run in the order given:

  build      full build (every instantiation), no run, into --binary's folder: slim from
             the kernel slice, full-tree from --trtllm-dir; with --experiment-patch, of the
             sources with that candidate patch applied
  build-plan every binary of --plan that has a recipe in the plan's "builds", each into its
             own folder (a fresh checkout has none: the build outputs are not tracked)
  relink     the same, linking build/launchers/libw4a16_launchers.a (carried from an earlier
             build of the same sources) instead of compiling the launchers again
  gtest      the whole w4a16SM90SimpleTest through the gtest runner -> w4a16SM90SimpleTest.xml
  pytest     `pytest py_tests` with the real binary through the bridge -> pytest.xml
  repeat     the suite 3 times with one seed; pass/fail and per-tactic bit identity
  reference  the torch reference checks (py_tests/reference) through the tool built
             beside --binary (its case mode)
  bench      `w4a16 bench` with --binary's bench beside it and --bench-args -> OUT/bench
  crossover  the bench binary alone over the Llama shapes at M = 1..16 (fp16, scale-only, group
             128): every tactic, the CUDA-core GEMV included -> OUT/crossover/<shape>.jsonl
  sanitize   memcheck and racecheck over a representative subset of GPU cases
  repro      the too-small-workspace reproduction, plain and under memcheck
  experiment variants and launcher knobs timed against each other (--plan, w4a16 lab variants)
  profile    ncu metrics and SASS counts of the plan's binaries (--profile-tactics, w4a16 lab
             profile)

The whole call stays inside --budget-s: each step's limit is cut to what is left, a step cut
off is killed with its children (exit 124), and a step with no time left is listed as not run.
The device machine hands back at most 8 files from $OUT, and a call here writes more (logs,
records, tables, plots, ncu CSVs): --archive packs OUT into OUT.tar.gz as the last act, so
everything comes back as one file. The build steps need the kernel slice in .cache/ (they
build --offline): carry `.cache` from a machine where `w4a16 build` has fetched it.

Usage (on the GPU machine, from the repository root): python3 ci/h100.py OUT STEP [STEP ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from w4a16.bench import shapes  # noqa: E402
from w4a16.errors import UserError  # noqa: E402
from w4a16.lab.experiment import load_build_recipes  # noqa: E402

BUILD_STEPS = ("build", "relink", "build-plan")
# Where the CUDA-core GEMV and the SM90 tactics cross over: every M the GEMV has, and one past.
CROSSOVER_MS = "1,2,3,4,5,6,7,8,10,12,15,16"
DEFAULT_BINARY = REPO / "build" / "slim" / "w4a16SM90SimpleTest"
RESERVE_S = 15  # kept back from each step for the steps after it (a rebuild from records)
MIN_STEP_S = 10  # a step with less time than this left is not started
# A subset that covers both kernel schedules, clusters 1x1/2x1/1x2/2x2, both dtypes and
# both quant ops, and both decode decompositions of fix 0003 (split-K: kv8b, qkv8b; stream-K:
# qkv70b_decode), at sizes memcheck gets through in minutes.
SANITIZE_FILTER = (
    "GPU_Workspace.*:GPU_Api.*:"
    "AllCases/GPU_Tactic.MatchesReference/kv8b_*:"
    "AllCases/GPU_Tactic.MatchesReference/qkv8b_*:"
    "AllCases/GPU_Tactic.MatchesReference/ragged_n_*:"
    # takes the stream-K branch of fix 0003 (80 tiles of 128 rows, a long K loop)
    "AllCases/GPU_Tactic.MatchesReference/qkv70b_decode_*"
)


def _env(binary: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{REPO / 'scripts'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env.setdefault("W4A16_CACHE", str(REPO / ".cache"))
    env["W4A16_BINARY"] = str(binary)
    env["TLLM_LOG_LEVEL"] = "WARNING"
    return env


def run_step(out: Path, name: str, cmd: list[str], timeout: float, binary: Path) -> int:
    """Run one command, tee its output to OUT/<name>.log, record it in COMMANDS.md."""
    log = out / f"{name}.log"
    line = " ".join(shlex.quote(c) for c in cmd)
    print(f"\n[h100] {name}: $ {line}", flush=True)
    start = time.monotonic()
    with log.open("w") as fh:
        # A session of its own, so that a step cut off at its limit takes its children (the
        # bench or test binary, ncu, compute-sanitizer) with it instead of leaving them on
        # the GPU under the next step.
        proc = subprocess.Popen(cmd, cwd=REPO, env=_env(binary), stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = 124
    took = time.monotonic() - start
    with (out / "COMMANDS.md").open("a") as fh:
        fh.write(f"- `{name}.log` (exit {code}, {took:.0f} s): `{line}`\n")
    tail = log.read_text(errors="replace").splitlines()[-3:]
    print(f"[h100] {name}: exit {code} after {took:.0f} s | " + " | ".join(tail), flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder for the raw outputs ($OUT)")
    parser.add_argument("steps", nargs="+",
                        choices=[*BUILD_STEPS, "gtest", "pytest", "reference", "bench",
                                 "crossover", "repeat", "sanitize", "repro", "experiment",
                                 "profile"],
                        help="the steps to run, in this order (what each does: above)")
    parser.add_argument("--jobs", type=int, default=10,
                        help="compile jobs for `build`, `relink` and `build-plan`")
    parser.add_argument("--trtllm-dir", type=Path,
                        help="for the build steps: the TensorRT-LLM tree to build from (a "
                        "full-tree build where it holds the runner and the GEMV)")
    parser.add_argument("--gtest-src", type=Path,
                        help="for the build steps: a GoogleTest source folder (the GPU machine "
                        "has no package index)")
    parser.add_argument("--build-args", default="",
                        help="more arguments for the build steps' `w4a16 build` (one string), "
                        "e.g. a --tiles selection")
    parser.add_argument("--bench-args", default="--quick",
                        help="arguments for the bench step's `w4a16 bench` (one string)")
    parser.add_argument("--sanitize-filter", default=SANITIZE_FILTER,
                        help="gtest filter of the cases the sanitize step runs")
    parser.add_argument("--experiment-patch", type=Path,
                        help="for `build`: a candidate patch from patches/experiments/ to "
                        "build with (w4a16 build --experiment-patch)")
    parser.add_argument("--binary", type=Path, default=DEFAULT_BINARY,
                        help="the w4a16SM90SimpleTest that gtest/pytest/repeat/sanitize/repro "
                        "run (default: build/slim's; e.g. one built with a candidate patch)")
    parser.add_argument("--plan", type=Path, help="experiment plan JSON for `build-plan`, "
                        "`experiment` and `profile` (its binaries and their recipes)")
    parser.add_argument("--budget-s", type=float, default=590,
                        help="seconds the whole call may take (default 590, inside the GPU "
                        "machine's 600 s limit); each step's own limit is cut to what is left")
    parser.add_argument("--archive", action="store_true",
                        help="at the end, pack OUT into OUT.tar.gz and remove OUT, so the "
                        "device machine (8 files back at most) returns every output as one file")
    parser.add_argument("--profile-tactics", default="tile64x16x64_cluster1x1x1_pingpong,"
                        "tile128x16x64_cluster1x1x1_coop,tile128x64x64_cluster1x1x1_coop",
                        help="tactics ncu profiles at N=K=8192, M=1,16,64")
    args = parser.parse_args()
    out: Path = args.out.resolve()
    binary = args.binary.resolve()  # the one test binary every test step runs
    out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    w4a16 = [py, "-m", "w4a16"]
    codes = {}

    started = time.monotonic()

    def run(out: Path, name: str, cmd: list[str], timeout: float,
            reserve: float = RESERVE_S) -> int:
        # Each step gets its own limit, cut to what is left of the call's budget (less a
        # reserve for the short steps after it), so the call ends before the machine's limit
        # kills it and its logs are complete.
        left = args.budget_s - (time.monotonic() - started) - reserve
        if left < MIN_STEP_S:
            with (out / "COMMANDS.md").open("a") as fh:
                fh.write(f"- `{name}`: not run, {left + reserve:.0f} s of the budget left\n")
            print(f"[h100] {name}: not run, out of time", flush=True)
            return 125
        return run_step(out, name, cmd, min(timeout, left), binary)

    plan_bins = json.loads(args.plan.read_text())["binaries"] if args.plan else {}
    if "build-plan" in args.steps:
        if args.plan is None:
            parser.error("step build-plan needs --plan")
        try:
            recipes = load_build_recipes(args.plan, REPO)
        except UserError as e:
            parser.error(str(e))
        if not recipes:
            parser.error(f"plan {args.plan} has no \"builds\" for build-plan")
    build_cmd = [*w4a16, "build", "--no-run", "--offline", "--jobs", str(args.jobs)]
    if args.trtllm_dir:
        build_cmd += ["--trtllm-dir", str(args.trtllm_dir.resolve())]
    if args.gtest_src:
        build_cmd += ["--gtest-src", str(args.gtest_src.resolve())]
    build_cmd += shlex.split(args.build_args)

    def fingerprint() -> None:
        # The hashes of the binaries this call runs (built here or carried), to match against
        # the build_info.json of the build each came from.
        # built beside the test: the bench times the tactics, the tool runs case folders
        beside = {"bench": binary.parent / "w4a16SM90Bench",
                  "tool": binary.parent / "w4a16SM90Tool"}
        codes["fingerprint"] = run(out, "fingerprint", [
            py, "-m", "w4a16.fingerprint", "--out", str(out / "binaries.json"),
            f"test={binary}", *(f"{k}={v}" for k, v in beside.items() if v.is_file()),
            *(f"{k}={REPO / v}" for k, v in plan_bins.items())], 60)

    for step in args.steps:
        if step not in BUILD_STEPS and "fingerprint" not in codes:
            fingerprint()
        if step == "build":
            patch = ["--experiment-patch", str(args.experiment_patch.resolve())
                     ] if args.experiment_patch else []
            codes[step] = run(out, "build", [*build_cmd, "--build-dir", str(binary.parent),
                                             *patch], 580)
        elif step == "build-plan":
            for name, (folder, argv) in recipes.items():
                codes[f"build-{name}"] = run(out, f"build_{name}", [
                    *build_cmd, "--build-dir", str(folder), *argv], 580)
                info = folder / "build_info.json"
                if info.is_file():  # which sources and patches went into it, by SHA-256
                    shutil.copy(info, out / f"build_info_{name}.json")
        elif step == "relink":
            prebuilt = REPO / "build" / "launchers" / "libw4a16_launchers.a"
            codes[step] = run(out, "relink", [*build_cmd, "--build-dir", str(binary.parent),
                                              "--prebuilt-launchers", str(prebuilt)], 580)
        elif step == "gtest":
            codes[step] = run(out, "gtest", [*w4a16, "run", str(binary), "--xml",
                                             str(out / "w4a16SM90SimpleTest.xml")], 580)
        elif step == "pytest":
            codes[step] = run(out, "pytest", [
                # The package must be pip-installed (-e): the bridge loads by entry point.
                py, "-m", "pytest", "py_tests", "-p", "no:cacheprovider", "-q",
                f"--gtest-binary={binary}", f"--junitxml={out / 'pytest.xml'}",
                f"--gtest-merged-xml={out / 'pytest_gtest_merged.xml'}"], 580)
        elif step == "reference":
            codes[step] = run(out, "reference", [
                py, "-m", "pytest", "py_tests/reference", "-p", "no:cacheprovider", "-q", "-ra",
                f"--junitxml={out / 'reference.xml'}"], 580)
        elif step == "bench":
            codes[step] = run(out, "bench", [
                *w4a16, "bench", "--binary", str(binary.parent / "w4a16SM90Bench"),
                "--out", str(out / "bench"), *shlex.split(args.bench_args)], 580)
        elif step == "crossover":
            folder = out / "crossover"
            folder.mkdir(exist_ok=True)
            for shape in shapes.shapes(("llama3-8b", "llama2-70b")):
                name = shape.label.replace("/", "_")
                codes[f"crossover-{name}"] = run(out, f"crossover_{name}", [
                    str(binary.parent / "w4a16SM90Bench"), "--n", str(shape.n), "--k",
                    str(shape.k), "--m", CROSSOVER_MS, "--dtype", "fp16", "--quant", "scale_only",
                    "--group", "128", "--label", shape.label, "--tactics", "all",
                    "--out", str(folder / f"{name}.jsonl")], 120)
        elif step == "repeat":
            codes[step] = run(out, "repeat", [*w4a16, "repeat", str(binary), "--runs", "3",
                                              "--seed", "20261122", "--out", str(out / "repeat")],
                              580)
        elif step == "sanitize":
            for tool in ("memcheck", "racecheck"):
                codes[f"sanitize-{tool}"] = run(out, f"sanitize_{tool}", [
                    *w4a16, "sanitize", str(binary), "--tool", tool, "--filter",
                    args.sanitize_filter, "--log", str(out / f"compute_sanitizer_{tool}.log")],
                    580)
        elif step == "repro":
            small = str(16 << 20)
            tool = binary.parent / "w4a16SM90Tool"  # the repro is a mode of the tool beside it
            missing = f"error: tool binary not found: {tool}"  # one line in the step's log
            codes["repro-plain"] = run(out, "workspace_repro_plain", [
                str(tool), f"--w4a16_workspace_repro={small}"] if tool.is_file() else [
                py, "-c", f"raise SystemExit({missing!r})"], 300)
            codes["repro-memcheck"] = run(out, "workspace_repro_memcheck_wrapper", [
                *w4a16, "sanitize", str(binary), "--tool", "memcheck", "--workspace-repro",
                small, "--log", str(out / "workspace_repro_memcheck.log")], 580)
        elif step in ("experiment", "profile"):
            if args.plan is None:
                parser.error(f"step {step} needs --plan")
            if step == "experiment":
                exp_cmd = [py, "-m", "w4a16.lab.experiment", "--plan", str(args.plan),
                           "--out", str(out / "experiment")]
                codes[step] = run(out, "experiment", exp_cmd, 580)
                if codes[step] != 0 and (out / "experiment" / "records.jsonl").is_file():
                    # cut off or failed late: the tables of what was timed, from its records
                    name = "experiment_from_records"
                    codes[name] = run(out, name, [*exp_cmd, "--from-records"], 60, reserve=0)
            else:
                codes[step] = run(out, "profile", [
                    py, "-m", "w4a16.lab.profile", "--out", str(out / "profile"),
                    "--tactics", args.profile_tactics,
                    *(x for k, v in plan_bins.items() for x in ("--binary", f"{k}={REPO / v}"))],
                    580)
    if "fingerprint" not in codes:  # a call of build steps alone
        fingerprint()
    summary = "[h100] summary: " + ", ".join(f"{k}={v}" for k, v in codes.items())
    (out / "summary.txt").write_text(summary + "\n")
    table = out / "experiment" / "table.txt"
    last = table.read_text().rstrip() + "\n\n" if table.is_file() else ""
    if args.archive:
        packed = archive(out)
        summary += f"\n[h100] every output is in {packed.name} ({packed.stat().st_size} bytes)"
    # printed last, so the short table and the exit codes are in the call's output tail
    print("\n" + last + summary, flush=True)
    return 0


def archive(out: Path) -> Path:
    """Pack OUT into OUT.tar.gz beside it and remove OUT (unpack with tar -xzf)."""
    packed = out.with_name(out.name + ".tar.gz")
    with tarfile.open(packed, "w:gz") as tar:
        tar.add(out, arcname=out.name)
    shutil.rmtree(out)
    return packed


if __name__ == "__main__":
    sys.exit(main())
