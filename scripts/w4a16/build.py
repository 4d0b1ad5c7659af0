"""Build the `w4a16SM90SimpleTest` target (with the tool and the bench beside it), and run
it where an SM90 GPU is present.

Steps: locate sources -> generate the launcher instantiations -> configure cpp_tests/ with
CMake + ninja (ccache when present) -> build with progress lines -> if an SM90 GPU is
visible, run the binary through the gtest runner and write the JUnit XML report.

The sources decide the build (`w4a16 sources` says which): a tree holding the runner's body,
the weight preprocessor and the CUDA-core GEMV gets the full-tree build in build/full (or
build/<preset>-full), where the test goes through CutlassFpAIntBGemmRunner and TensorRT-LLM's
preprocessing and the GEMV is a tactic; the flashinfer kernel slice gets the slim build in
build/<preset>.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from w4a16 import gpu, instantiations, paths, sources
from w4a16.errors import UserError
from w4a16.fingerprint import describe, sha256_file
from w4a16.patches.overlay import (
    build_overlay,
    has_row256_tiles,
    overlay_includes,
    overlay_patches,
    overlay_sources,
)

# Presets: what each build compiles. "ci" is what a 2-core CPU machine builds in a few
# minutes: both kernel schedules (64-row ping-pong, 128-row cooperative with a 2x1 cluster).
PRESETS = {
    "slim": {"tiles": "all", "activations": "fp16,bf16", "quant_ops": "scale_only,scale_zeros",
             "groups": "64,128"},
    "ci": {"tiles": "64x16,128x16", "activations": "fp16", "quant_ops": "scale_only",
           "groups": "128"},
}


def _cmake_list(items: list[Path]) -> str:
    return ";".join(str(p) for p in items)


def overlay_id(patch_sha256: dict[str, str]) -> str:
    """A short fingerprint of the patches an overlay applies, in order. It goes onto every
    compile line: a patched header in the overlay shadows the kernel tree's copy, a change that
    ccache's direct mode cannot see in the include files it recorded, so without it a cache
    could return objects built without (or with another version of) a fix."""
    text = "\n".join(f"{name} {digest}" for name, digest in patch_sha256.items())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def configure(found: sources.Located, gen_dir: Path, build_dir: Path,
              prebuilt_launchers: Path | None = None,
              first_includes: list[Path] | None = None, keep_asserts: bool = False,
              *, fingerprint: str, common_sources: list[Path] | None = None) -> None:
    if shutil.which("cmake") is None:
        raise UserError("cmake not found: install it (pip install cmake, or apt-get install cmake)")
    if shutil.which("ninja") is None:
        raise UserError(
            "ninja not found: install it (pip install ninja, or apt-get install ninja-build)"
        )
    cmd = [
        "cmake", "-S", str(paths.CPP_TESTS), "-B", str(build_dir), "-G", "Ninja",
        f"-DCMAKE_CUDA_COMPILER={found.tools.nvcc}",
        f"-DW4A16_INCLUDE_DIRS={_cmake_list([*(first_includes or []), *found.include_dirs])}",
        f"-DW4A16_COMMON_SOURCES={_cmake_list(common_sources or found.kernels.common_sources)}",
        f"-DW4A16_GENERATED_DIR={gen_dir}",
    ]
    if found.tools.gtest_source is not None:
        cmd.append(f"-DW4A16_GTEST_SOURCE_DIR={found.tools.gtest_source}")
    cmd.append(f"-DW4A16_PREBUILT_LAUNCHERS={prebuilt_launchers or ''}")
    cmd.append(f"-DW4A16_TREE_SOURCES={_cmake_list(found.kernels.runner_sources)}")
    cmd.append(f"-DW4A16_KEEP_ASSERTS={'ON' if keep_asserts else 'OFF'}")
    cmd.append(f"-DW4A16_OVERLAY_ID={fingerprint}")
    print(f"[build] configuring {build_dir}", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = build_dir / "configure.log"
    build_dir.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        first = next((ln for ln in errors if "Error" in ln or "error" in ln), errors[:1] or ["?"])
        raise UserError(f"CMake configure failed ({first.strip()}); full log: {log}")


def default_jobs() -> int:
    """One job per core, but no more than one per 10 GiB of memory: a launcher unit's nvcc
    peaks at 4.3 GB with one instantiation and 10.6 GB with seven. On the 16-core, 125 GiB
    H200 machine this gives 12 jobs: 12 units of 7 compiled in 178 s, peaking at 117 GB in
    use, while 16 jobs on smaller units ran each compile about half as fast
    (reports/h200/build/)."""
    cores = os.cpu_count() or 1
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return cores
    return max(1, min(cores, int(mem_gb // 10)))


# Built together: the gtest, the command-line tool and the timing harness share every
# launcher object.
TARGETS = (paths.TARGET, paths.TOOL_TARGET, paths.BENCH_TARGET)


def run_ninja(build_dir: Path, targets: Sequence[str], jobs: int, tag: str,
              unit_note: str) -> float:
    """Build `targets` with ninja through CMake, echoing its [n/total] progress as short
    `[tag]` lines and keeping the whole output in build_dir/build.log; returns seconds taken.
    A failure is a UserError naming the first errors (and an out-of-memory kill)."""
    # CCACHE_BASEDIR makes paths inside the checkout relative, so a fresh clone elsewhere
    # (as CI makes) still hits the cache.
    env = dict(os.environ, NINJA_STATUS="[%f/%t %es] ", CCACHE_BASEDIR=str(paths.REPO_ROOT))
    cmd = ["cmake", "--build", str(build_dir), "--target", *targets, "-j", str(jobs)]
    print(f"[{tag}] compiling {', '.join(targets)} with {jobs} jobs ({unit_note})", flush=True)
    start = time.monotonic()
    log_path = build_dir / "build.log"
    with log_path.open("w") as log, subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            log.flush()
            if line.startswith("["):
                # "[3/27 65.2s] Building CUDA object ..." -> short progress line
                status, _, rest = line.partition("] ")
                target = rest.strip().rsplit("/", 1)[-1][:70]
                print(f"[{tag}] {status}] {target}", flush=True)
        code = proc.wait()
    took = time.monotonic() - start
    if code != 0:
        text = log_path.read_text(errors="replace").splitlines()
        errs = [ln for ln in text if " error" in ln or "error:" in ln][:5]
        if any("code=137" in ln or ln.strip() == "Killed" for ln in text):
            errs.insert(0, "a compiler process was killed (code 137: out of memory?); "
                        "rerun with fewer --jobs, the finished objects are kept")
        errs += [ln for ln in text if ln.startswith("FAILED:")][:3]
        detail = "\n  ".join(errs) if errs else "\n  ".join(text[-10:])
        raise UserError(f"compilation failed after {took:.0f} s:\n  {detail}\nfull log: {log_path}")
    return took


def compile_target(build_dir: Path, jobs: int) -> float:
    """Build every target of TARGETS (run_ninja); returns seconds taken."""
    took = run_ninja(build_dir, TARGETS, jobs, "build", "a launcher TU takes ~1 min")
    built = ", ".join(str(build_dir / t) for t in TARGETS)
    print(f"[build] built {built} in {took:.0f} s", flush=True)
    return took


def run_tests(binary: Path, xml_out: Path, gtest_filter: str, case_timeout: float) -> int:
    """Run every case through the one gtest runner and write the merged JUnit report."""
    try:
        from w4a16.gtest import runner  # imported late: building needs none of it
    except ImportError as exc:
        raise UserError(f"running the tests needs {exc.name} (pip install {exc.name}); "
                        f"the binary is built: {binary}") from None

    xml_out.parent.mkdir(parents=True, exist_ok=True)
    print(f"[run] {binary.name} -> {xml_out}", flush=True)
    summary = runner.run_all(
        binary, xml_out, gtest_filter=gtest_filter, case_timeout=case_timeout,
        batch_timeout=max(case_timeout * 4, 1800.0),
    )
    print(f"[run] {summary}", flush=True)
    return 0 if getattr(summary, "ok", False) else 1


def _run_if_sm90(args: argparse.Namespace, binary: Path, default_xml: Path) -> int:
    if args.no_run:
        return 0
    why = gpu.sm90_reason()
    if why:
        print(f"[run] skipped: {why}")
        return 0
    return run_tests(binary, args.xml or default_xml, args.gtest_filter, args.case_timeout)


def _cmd_in_tree(args: argparse.Namespace) -> int:
    """In-tree mode: patch the TensorRT-LLM checkout and build the target in its build folder."""
    from w4a16.patches import intree

    trtllm = (args.trtllm_dir or paths.SUBMODULE).resolve()
    binary = intree.build_in_tree(trtllm, args.in_tree.resolve(), args.jobs or None)
    print(f"[build] in-tree binary: {binary}", flush=True)
    return _run_if_sm90(args, binary, args.in_tree / "reports" / f"{paths.TARGET}.xml")


def _cmd_build(args: argparse.Namespace) -> int:
    if args.in_tree is not None:
        return _cmd_in_tree(args)
    preset = PRESETS[args.preset]
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    found = sources.locate_from_args(args)
    full = found.kernels.full_tree
    build_dir = (args.build_dir or paths.build_dir(args.preset, full)).resolve()
    print("[sources]")
    sources.print_summary(found)
    jobs = args.jobs or default_jobs()
    if args.prebuilt_launchers is not None and not args.prebuilt_launchers.is_file():
        raise UserError(f"--prebuilt-launchers {args.prebuilt_launchers} does not exist")
    prebuilt = args.prebuilt_launchers.resolve() if args.prebuilt_launchers else None
    patches = overlay_patches(found.kernels.kind, found.kernels.root, args.kernel_fixes,
                              args.experiment_patch)
    # hashed as they are applied, not after the compile: these are the bytes built
    patch_sha256 = {p.name: sha256_file(p) for p in patches}
    overlay, fixes = build_overlay(found.kernels.kind, found.kernels.root,
                                   build_dir / "kernel-overlay", patches)
    print(f"[patch] kernel fixes applied to copies in {overlay}: {', '.join(fixes) or 'none'}",
          flush=True)
    # The patched sources decide the tactic space: the 256-row tiles exist with fix 0008 only.
    row256 = has_row256_tiles(overlay, found.kernels.kind, found.kernels.root)
    selected, filter_text, tus = instantiations.selection_from_args(args, jobs, row256)
    if not selected:
        raise UserError("the tile/activation/quant filters select no instantiation")
    groups = instantiations.parse_groups(args.groups)
    if full:
        filter_text += f" gemv_groups={','.join(map(str, groups))}"
    gen_dir = build_dir / "generated"
    manifest = instantiations.generate(gen_dir, selected, tus, filter_text,
                                       found.kernels.root / "cpp" if full else None, groups,
                                       found.kernels.include_dirs[0], row256)
    print(f"[generate] {len(manifest['compiled'])} instantiations in "
          f"{len(manifest['translation_units'])} TUs, {len(manifest['not_compiled'])} left out "
          f"({filter_text}{'' if row256 else '; these sources have no 256-row tiles'})",
          flush=True)
    if full:
        print(f"[generate] full tree: {len(manifest['runner_units'])} runner and "
              f"{len(manifest['gemv_units'])} GEMV units", flush=True)
    first = overlay_includes(overlay, found.kernels.kind, found.kernels.root,
                             found.kernels.include_dirs)
    configure(found, gen_dir, build_dir, prebuilt, first, args.keep_asserts,
              fingerprint=overlay_id(patch_sha256),
              common_sources=overlay_sources(overlay, found.kernels.kind, found.kernels.root,
                                             found.kernels.common_sources))
    took = compile_target(build_dir, jobs)
    info = {"preset": args.preset, "build": found.kernels.build_kind, "filter": filter_text,
            "build_seconds": round(took, 1),
            "jobs": jobs, "kernel_fixes": fixes, "row256_tiles": row256,
            "keep_asserts": args.keep_asserts,
            "patch_sha256": patch_sha256,
            "outputs": describe({t: build_dir / t for t in TARGETS}),
            "sources": found.to_json(),
            "compiled": manifest["compiled"], "not_compiled": manifest["not_compiled"]}
    (build_dir / "build_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return _run_if_sm90(args, build_dir / paths.TARGET,
                        build_dir / "reports" / f"{paths.TARGET}.xml")


def offers_row256_tiles(binary: Path) -> bool:
    """Whether `binary` was built with the 256-row tiles (fix 0008), from the build_info.json
    that `w4a16 build` writes beside it; False without one (a build by other means, or one
    from before the record named them)."""
    info = binary.parent / "build_info.json"
    return bool(info.is_file() and json.loads(info.read_text()).get("row256_tiles", False))


def check_runner_variant(found: sources.Located, out_dir: Path) -> Path:
    """Compile the test source's TensorRT-LLM-runner variant to an object file.

    The slim build never uses CutlassFpAIntBGemmRunner, so without this a wrong call against
    its API would only show up in a full TensorRT-LLM build.
    """
    gtest_inc = []
    if found.tools.gtest_source is not None:
        gtest_inc = [found.tools.gtest_source / "googletest" / "include"]
    out_dir.mkdir(parents=True, exist_ok=True)
    obj = out_dir / "w4a16_sm90_simple_test.runner.o"
    cmd = [str(found.tools.nvcc), "-std=c++17", "-c", "-gencode=arch=compute_90a,code=sm_90a",
           "--expt-relaxed-constexpr", "--expt-extended-lambda", "-diag-suppress=20012",
           "-DCOMPILE_HOPPER_TMA_GEMMS", "-DENABLE_BF16", "-DW4A16_USE_TRTLLM_RUNNER",
           *[f"-I{p}" for p in [paths.CPP_TESTS, *found.include_dirs, *gtest_inc]],
           str(paths.CPP_TESTS / "w4a16_sm90_simple_test.cu"), "-o", str(obj)]
    print("[check-runner] compiling the CutlassFpAIntBGemmRunner variant", flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        errs = [ln for ln in proc.stderr.splitlines() if "error" in ln][:5]
        raise UserError("runner variant does not compile:\n  " + "\n  ".join(errs or
                        proc.stderr.splitlines()[-5:]))
    print(f"[check-runner] ok: {obj}", flush=True)
    return obj


def _cmd_check_runner(args: argparse.Namespace) -> int:
    found = sources.locate_from_args(args)
    check_runner_variant(found, (args.build_dir or paths.build_dir("runner-check")).resolve())
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "check-runner",
        help="compile the test's CutlassFpAIntBGemmRunner variant to an object (API check)",
        description=check_runner_variant.__doc__,
    )
    sources.add_locate_args(c)
    c.add_argument("--build-dir", type=Path, help="where to put the object file "
                   "(default: build/runner-check)")
    c.set_defaults(func=_cmd_check_runner)

    p = sub.add_parser(
        "build",
        help="build w4a16SM90SimpleTest (and run it where an SM90 GPU is present)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sources.add_locate_args(p)
    p.add_argument(
        "--preset", choices=sorted(PRESETS), default="slim",
        help="slim: every instantiation (124 with fix 0008 of the series, else 84) and both "
        "GEMV group sizes (default); ci: a "
        "3-instantiation subset (fp16, scale-only, GEMV group 128) for CPU CI",
    )
    instantiations.add_selection_args(p)
    for action in p._actions:  # the preset supplies defaults for the selection flags
        if action.dest in ("tiles", "activations", "quant_ops", "groups"):
            action.default = None
    p.add_argument("--build-dir", type=Path, help="build folder (default: build/<preset> for "
                   "the slim build; build/full, or build/<preset>-full, for a full tree)")
    p.add_argument(
        "--in-tree", type=Path, metavar="TRTLLM_BUILD_DIR",
        help="instead of the slim build: apply our patches to the TensorRT-LLM checkout "
        "(--trtllm-dir, default the submodule) and build the target in this configured "
        "TensorRT-LLM CMake build folder",
    )
    p.add_argument("--jobs", "-j", type=int, default=0,
                   help="parallel compile jobs (default: CPUs, at most one per 10 GB of memory)")
    p.add_argument("--no-run", action="store_true", help="build only, even on an SM90 machine")
    p.add_argument(
        "--prebuilt-launchers", type=Path, metavar="LIB",
        help="link this libw4a16_launchers.a from an earlier build of the same selection "
        "instead of compiling the launchers again (minutes instead of a quarter hour)",
    )
    p.add_argument(
        "--kernel-fixes", default="all", metavar="all|none|NNNN,...",
        help="which kernel fixes of the patch series the overlay applies: all (default), "
        "none (the kernel sources as shipped), or number prefixes such as 0002,0003; "
        "for before/after benchmarks of one fix",
    )
    p.add_argument(
        "--experiment-patch", type=Path, action="append", metavar="PATCH",
        help="also apply this patch (same layout as the fixes) to the overlay; repeatable. "
        "For measurements only: patches/experiments/ holds runtime knobs for the bench",
    )
    p.add_argument(
        "--keep-asserts", action="store_true",
        help="compile without -DNDEBUG, as a bare nvcc command does: device asserts stay in "
        "and ptxas serializes the mainloop's wgmma (warning C7510); for measuring that cost",
    )
    p.add_argument("--xml", type=Path,
                   help="JUnit report path (default: <build-dir>/reports/w4a16SM90SimpleTest.xml)")
    p.add_argument("--gtest-filter", default="*", help="gtest filter for the run step")
    p.add_argument("--case-timeout", type=float, default=300.0,
                   help="seconds one test case may take before it is killed (default 300)")
    p.set_defaults(func=_cmd_build)

