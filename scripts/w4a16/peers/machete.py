"""vLLM's Machete as a peer in the bench: locate a Machete source tree, build
`w4a16MacheteBench` (cpp_tests/peers/machete/) from it, run it and parse its records.

The tree is an extraction of vLLM's csrc/quantization/machete (its README names one); this
module only reads it. Its schedules are listed in `supported_schedules()` of
cpp/quantization/machete/machete_standalone_gemm.cuh; the build compiles each one in a
translation unit of its own (one schedule is 1-1.5 min and about 4 GB of nvcc), generated here into
<build-dir>/generated/, so ninja compiles them in parallel and ccache keeps them.

    python -m w4a16.peers.machete build --machete-dir DIR [--build-dir DIR] [-j N]
    python -m w4a16.peers.machete list --machete-dir DIR
    python -m w4a16.peers.machete run --binary BIN --n N --k K --m 1,16,128 [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from w4a16 import paths
from w4a16.bench.binary import parse_lines
from w4a16.bench.problem import OtherRecord, Record, TacticRecord
from w4a16.bench.timing import Sampling
from w4a16.build import run_ninja
from w4a16.errors import UserError
from w4a16.fingerprint import describe

BINARY = "w4a16MacheteBench"
PROJECT = paths.CPP_TESTS / "peers" / "machete"  # our CMake project
TACTIC_PREFIX = "machete_"
HEURISTIC_TACTIC = "machete_heuristic"

# What the build includes from the tree, relative to its root. GEMM_HEADER lists the schedules.
GEMM_HEADER = "cpp/quantization/machete/machete_standalone_gemm.cuh"
REQUIRED_FILES = (
    GEMM_HEADER,
    "cpp/quantization/machete/machete_collective_builder.cuh",
    "cpp/quantization/machete/machete_mainloop.cuh",
    "cpp/quantization/machete/machete_prepack_kernel.cuh",
    "cpp/quantization/machete/machete_prepacked_layout.cuh",
    "cpp/machete_standalone_check.h",
    "cpp/cutlass_extensions/vllm_custom_types.cuh",
    "cpp/cutlass_extensions/vllm_numeric_conversion.cuh",
)
# Names GEMM_HEADER must define for our sources to compile against it.
REQUIRED_NAMES = ("supported_schedules", "select_schedule", "ScheduleTemplate",
                  "MacheteKernelTemplate", "PrepackLayout", "prepack_B")



@dataclass(frozen=True)
class Schedule:
    """One entry of the tree's supported_schedules(): tile (N, M) and cluster (N, M, K), in
    Machete's order (it computes the transposed product, so N comes first)."""

    name: str
    tile_n: int
    tile_m: int
    cluster_n: int
    cluster_m: int
    cluster_k: int

    @property
    def ident(self) -> str:
        """A C identifier and file-name stem for this schedule."""
        return "s" + re.sub(r"[^0-9A-Za-z]", "_", self.name)

    @property
    def tactic(self) -> str:
        """The bench's tactic name for this schedule."""
        return TACTIC_PREFIX + self.name

    @property
    def template_args(self) -> str:
        return (f"{self.tile_n}, {self.tile_m}, {self.cluster_n}, {self.cluster_m}, "
                f"{self.cluster_k}")


@dataclass(frozen=True)
class MacheteTree:
    root: Path
    schedules: tuple[Schedule, ...]

    @property
    def include_dir(self) -> Path:
        return self.root / "cpp"

    def schedule(self, name: str) -> Schedule:
        for s in self.schedules:
            if s.name == name or s.tactic == name:
                return s
        known = ", ".join(s.name for s in self.schedules)
        raise UserError(f"unknown Machete schedule {name!r} (the tree lists: {known})")


_ENTRY = re.compile(r'\{\s*"([^"]+)"\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,'
                    r'\s*(\d+)\s*\}')


def parse_schedules(text: str, where: str = GEMM_HEADER) -> tuple[Schedule, ...]:
    """The schedules of `supported_schedules()` in the header's text, in its order.

    Each entry is {"NAME", tile_n, tile_m, cluster_n, cluster_m, cluster_k}; the name must
    start with "<tile_n>x<tile_m>_<cluster_n>x<cluster_m>x<cluster_k>" (a check that the
    fields are read in the right order)."""
    start = text.find("supported_schedules()")
    if start < 0:
        raise UserError(f"{where} has no supported_schedules(): not a Machete tree this "
                        "build knows")
    body_end = text.find("}\n", text.find("return", start))
    end = text.find("};", start)
    body = text[start:end if end > 0 else body_end]
    schedules = []
    for m in _ENTRY.finditer(body):
        s = Schedule(m.group(1), *(int(g) for g in m.groups()[1:]))
        prefix = f"{s.tile_n}x{s.tile_m}_{s.cluster_n}x{s.cluster_m}x{s.cluster_k}"
        if not s.name.startswith(prefix):
            raise UserError(f"{where}: schedule {s.name!r} does not match its fields "
                            f"({prefix}...)")
        schedules.append(s)
    if not schedules:
        raise UserError(f"{where}: supported_schedules() lists no schedule")
    names = [s.name for s in schedules]
    if len(set(names)) != len(names):
        raise UserError(f"{where}: supported_schedules() lists a schedule twice")
    return tuple(schedules)


def locate(machete_dir: Path | str) -> MacheteTree:
    """Check a Machete tree (every file the build includes, the names our sources use) and
    read its schedule list. UserError with one line naming what is missing."""
    root = Path(machete_dir).expanduser().resolve()
    if not root.is_dir():
        raise UserError(f"Machete tree {root} does not exist")
    for rel in REQUIRED_FILES:
        if not (root / rel).is_file():
            raise UserError(f"Machete tree {root} lacks {rel}")
    text = (root / GEMM_HEADER).read_text(errors="replace")
    for name in REQUIRED_NAMES:
        if not re.search(rf"\b{name}\b", text):
            raise UserError(f"{root / GEMM_HEADER} does not define {name}: not a Machete tree "
                            "this build knows")
    return MacheteTree(root, parse_schedules(text, str(root / GEMM_HEADER)))


def select(tree: MacheteTree, schedules: Iterable[str] | None) -> tuple[Schedule, ...]:
    """The tree's schedules named in `schedules` (names or machete_ tactic names), in the
    tree's order; all of them for None."""
    if schedules is None:
        return tree.schedules
    wanted = {tree.schedule(name).name for name in schedules}
    if not wanted:
        raise UserError("no Machete schedule selected")
    return tuple(s for s in tree.schedules if s.name in wanted)


# ---- generated sources ---------------------------------------------------------------------

_HEADER = ("// Generated by scripts/w4a16/peers/machete.py from {tree}; do not edit.\n")


def schedule_unit(schedule: Schedule, tree: MacheteTree) -> str:
    """The translation unit that compiles one schedule."""
    return (
        _HEADER.format(tree=tree.root)
        + f"// Machete schedule {schedule.name}.\n"
        + '#include "machete_schedule.cuh"\n\n'
        + "namespace w4a16::machete_peer {\n\n"
        + f"template struct MacheteSchedule<{schedule.template_args}>;\n\n"
        + f"ScheduleEntry entry_{schedule.ident}() {{\n"
        + f'  return MacheteSchedule<{schedule.template_args}>::entry("{schedule.name}");\n'
        + "}\n\n}  // namespace w4a16::machete_peer\n"
    )


def registry_unit(schedules: Sequence[Schedule], tree: MacheteTree) -> str:
    """compiled_schedules(): the compiled schedules, in the tree's order."""
    decls = "".join(f"ScheduleEntry entry_{s.ident}();\n" for s in schedules)
    calls = "".join(f"      entry_{s.ident}(),\n" for s in schedules)
    return (
        _HEADER.format(tree=tree.root)
        + '#include "machete_peer.h"\n\n'
        + "namespace w4a16::machete_peer {\n\n"
        + decls
        + "\nstd::vector<ScheduleEntry> const& compiled_schedules() {\n"
        + "  static std::vector<ScheduleEntry> const entries = {\n"
        + calls
        + "  };\n  return entries;\n}\n\n}  // namespace w4a16::machete_peer\n"
    )


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def generate(tree: MacheteTree, gen_dir: Path,
             schedules: Sequence[Schedule] | None = None) -> list[Path]:
    """Write one TU per schedule, the registry and sources.cmake into gen_dir; returns the
    schedule TUs. Files of schedules no longer selected are removed; unchanged files are not
    rewritten (so nothing recompiles)."""
    chosen = tuple(schedules) if schedules is not None else tree.schedules
    gen_dir.mkdir(parents=True, exist_ok=True)
    units = []
    for s in chosen:
        path = gen_dir / f"schedule_{s.ident}.cu"
        _write_if_changed(path, schedule_unit(s, tree))
        units.append(path)
    for stale in gen_dir.glob("schedule_*.cu"):
        if stale not in units:
            stale.unlink()
    _write_if_changed(gen_dir / "registry.cu", registry_unit(chosen, tree))
    listing = "".join(f'    "{p}"\n' for p in units)
    _write_if_changed(gen_dir / "sources.cmake",
                      "# Generated by scripts/w4a16/peers/machete.py; do not edit.\n"
                      f"set(W4A16_MACHETE_SCHEDULE_SOURCES\n{listing})\n")
    return units


# ---- build ---------------------------------------------------------------------------------

def default_build_dir() -> Path:
    return paths.REPO_ROOT / "build" / "machete"


def default_machete_binary() -> Path:
    """$W4A16_MACHETE_BINARY, else build/machete/w4a16MacheteBench."""
    env = os.environ.get("W4A16_MACHETE_BINARY")
    return Path(env) if env else default_build_dir() / BINARY


@dataclass(frozen=True)
class Cutlass:
    include: Path
    util_include: Path | None


def locate_cutlass(cutlass_dir: Path | None = None) -> Cutlass:
    """CUTLASS from cutlass_dir (a CUTLASS checkout: include/ and tools/util/include/), else
    the flashinfer slice's copy (the one Machete was checked with)."""
    if cutlass_dir is not None:
        root = Path(cutlass_dir).expanduser().resolve()
        include = root / "include"
        if not (include / "cutlass" / "cutlass.h").is_file():
            raise UserError(f"--cutlass-dir {root} lacks include/cutlass/cutlass.h")
    else:
        from w4a16 import sources  # imported late: finding a tree needs none of it

        include = sources.locate_kernels(None, paths.cache_dir(), fetch=False,
                                         slice_only=True).cutlass_include
        root = include.parent
    util = root / "tools" / "util" / "include"
    return Cutlass(include, util if util.is_dir() else None)


def _tool(name: str, hint: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise UserError(f"{name} not found: {hint}")
    return found


def configure(tree: MacheteTree, build_dir: Path, gen_dir: Path, cutlass: Cutlass,
              nvcc: Path | None = None) -> None:
    cmake = _tool("cmake", "install it (pip install cmake, or apt-get install cmake)")
    _tool("ninja", "install it (pip install ninja, or apt-get install ninja-build)")
    if nvcc is None:
        from w4a16 import sources

        nvcc, _ = sources.locate_nvcc(None)
    cmd = [cmake, "-S", str(PROJECT), "-B", str(build_dir), "-G", "Ninja",
           "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_CUDA_COMPILER={nvcc}",
           f"-DMACHETE_DIR={tree.root}", f"-DCUTLASS_INCLUDE_DIR={cutlass.include}",
           f"-DCUTLASS_UTIL_INCLUDE_DIR={cutlass.util_include or ''}",
           f"-DW4A16_MACHETE_GENERATED_DIR={gen_dir}"]
    print(f"[machete] configuring {build_dir}", flush=True)
    build_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log = build_dir / "configure.log"
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        first = next((ln for ln in lines if "rror" in ln), lines[0] if lines else "?")
        raise UserError(f"CMake configure failed ({first.strip()}); full log: {log}")


def build(tree: MacheteTree, build_dir: Path, jobs: int = 2,
          schedules: Iterable[str] | None = None, cutlass_dir: Path | None = None,
          nvcc: Path | None = None) -> Path:
    """Generate the per-schedule TUs, configure and build; returns the binary's path."""
    build_dir = Path(build_dir).resolve()
    chosen = select(tree, schedules)
    cutlass = locate_cutlass(cutlass_dir)
    gen_dir = build_dir / "generated"
    units = generate(tree, gen_dir, chosen)
    print(f"[machete] {len(units)} schedule TUs in {gen_dir} "
          f"({len(chosen)} of the tree's {len(tree.schedules)} schedules)", flush=True)
    configure(tree, build_dir, gen_dir, cutlass, nvcc)
    took = run_ninja(build_dir, [BINARY], max(1, jobs), "machete",
                     "a schedule TU takes ~1.5 min")
    binary = build_dir / BINARY
    size = binary.stat().st_size
    print(f"[machete] built {binary} in {took:.0f} s ({size / 2**20:.1f} MiB)", flush=True)
    info = {"machete_dir": str(tree.root), "schedules": [s.name for s in chosen],
            "cutlass_include": str(cutlass.include), "build_seconds": round(took, 1),
            "jobs": jobs, "outputs": describe({BINARY: binary})}
    (build_dir / "build_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return binary


# ---- running the bench ---------------------------------------------------------------------

def command(binary: Path, n: int, k: int, ms: Sequence[int], group: int = 128, label: str = "",
            schedules: str | Sequence[str] = "all", seed: int = 1234,
            timing_args: Sequence[str] = (), out: Path | None = None) -> list[str]:
    """The binary's command line. timing_args: --budget-ms, --min-samples, ... as the main
    bench takes them (its Sampling.binary_args() gives the same settings)."""
    if not ms:
        raise UserError("at least one M is needed")
    sched = schedules if isinstance(schedules, str) else ",".join(schedules)
    cmd = [str(binary), "--n", str(n), "--k", str(k), "--m", ",".join(str(m) for m in ms),
           "--group", str(group), "--label", label, "--schedules", sched, "--seed", str(seed),
           *timing_args]
    if out is not None:
        cmd += ["--out", str(out)]
    return cmd


def check_schedules(binary: Path, names: str) -> None:
    """Refuse, in one line, a --schedules list naming a schedule the binary did not compile,
    before any GPU time is spent on the problems (the binary itself would refuse it per job).
    Asks the binary's --list, which needs no GPU."""
    if names == "all":
        return
    wanted = [n for n in names.split(",") if n]
    if not wanted:
        raise UserError(f"Machete schedules {names!r} name no schedule (or give all)")
    try:
        proc = subprocess.run([str(binary), "--list"], capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UserError(f"{binary} --list did not run: {exc}") from None
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-2:])
        raise UserError(f"{binary} --list exited with {proc.returncode}: {tail}")
    compiled: set[str] = set()
    for record in parse_lines(iter(proc.stdout.splitlines()), f"{BINARY} --list"):
        if isinstance(record, OtherRecord) and record.kind == "candidate" \
                and all(record.extra.get("compiled", {}).values()):
            compiled |= {record.extra["tactic"], record.extra["schedule"]}
    for name in wanted:
        if name not in compiled and TACTIC_PREFIX + name not in compiled:
            known = ", ".join(sorted(n for n in compiled if not n.startswith(TACTIC_PREFIX)))
            raise UserError(f"Machete schedule {name!r} is not compiled in {binary} "
                            f"(compiled: {known})")


def tactic_records(records: Iterable[Record]) -> list[TacticRecord]:
    return [r for r in records if isinstance(r, TacticRecord)]


def run(cmd: Sequence[str], log_path: Path | None = None,
        on_record: Callable[[Record], None] | None = None,
        env: dict[str, str] | None = None) -> list[Record]:
    """Run the binary; records as they arrive go to on_record; returns them all. stderr
    (progress) is appended to log_path, or else copied to ours after a successful run. A
    non-zero exit raises UserError with its last stderr lines. env: variables added to ours
    (CUDA_VISIBLE_DEVICES for a job's GPU)."""
    if not Path(cmd[0]).is_file():
        raise UserError(f"{cmd[0]} not found: build it with `python -m w4a16.peers.machete "
                        "build --machete-dir DIR`")
    records: list[Record] = []
    with (log_path.open("a+") if log_path is not None else tempfile.TemporaryFile("w+")) as err:
        start = err.tell()
        if log_path is not None:
            err.write("$ " + " ".join(cmd) + "\n")
            err.flush()
        with subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=err, text=True,
                              env={**os.environ, **env} if env else None) as proc:
            assert proc.stdout is not None
            try:
                for record in parse_lines(iter(proc.stdout.readline, ""), BINARY):
                    records.append(record)
                    if on_record is not None:
                        on_record(record)
            except BaseException:
                proc.kill()
                raise
            code = proc.wait()
        err.seek(start)
        text = err.read()
    if code == 0 and log_path is None and text:
        sys.stderr.write(text)
    if code != 0:
        tail = " | ".join(text.strip().splitlines()[-3:])
        raise UserError(f"{BINARY} exited with {code}: {tail}"
                        + (f" (log: {log_path})" if log_path is not None else ""))
    return records


# ---- command line --------------------------------------------------------------------------

def _schedules_arg(text: str | None) -> list[str] | None:
    if text is None or text == "all":
        return None
    return [s for s in text.split(",") if s]


def _cmd_build(args: argparse.Namespace) -> int:
    tree = locate(args.machete_dir)
    build(tree, args.build_dir, args.jobs, _schedules_arg(args.schedules), args.cutlass_dir)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    tree = locate(args.machete_dir)
    for s in tree.schedules:
        print(f"{s.tactic:44s} tile {s.tile_n}x{s.tile_m} cluster "
              f"{s.cluster_n}x{s.cluster_m}x{s.cluster_k}")
    return 0


def _timing_flags() -> list[tuple[str, str, type]]:
    """(attribute, flag, type) of each sampling setting: the fields of Sampling, which are the
    timing flags every bench binary takes."""
    return [(f.name, "--" + f.name.replace("_", "-"), type(f.default)) for f in fields(Sampling)]


def _cmd_run(args: argparse.Namespace) -> int:
    ms = [int(m) for m in args.m.split(",") if m]
    timing = []
    for attr, flag, _ in _timing_flags():
        value = getattr(args, attr)
        if value is not None:
            timing += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    cmd = command(args.binary, args.n, args.k, ms, args.group, args.label, args.schedules,
                  args.seed, timing)
    out = args.out.open("w") if args.out else sys.stdout
    try:
        def emit(record: Record) -> None:
            out.write(json.dumps(record.to_json()) + "\n")
            out.flush()

        run(cmd, None, emit)
    finally:
        if args.out:
            out.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m w4a16.peers.machete",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help=f"build {BINARY} from a Machete tree")
    b.add_argument("--machete-dir", type=Path, required=True, help="the Machete tree")
    b.add_argument("--build-dir", type=Path, default=default_build_dir(),
                   help="build folder (default: build/machete)")
    b.add_argument("--jobs", "-j", type=int, default=2,
                   help="parallel compiles; each schedule TU needs ~4.5 GB (default 2)")
    b.add_argument("--schedules", default="all", metavar="all|NAME,...",
                   help="compile only these schedules (default: all the tree lists)")
    b.add_argument("--cutlass-dir", type=Path,
                   help="a CUTLASS checkout (default: the flashinfer slice's CUTLASS)")
    b.set_defaults(func=_cmd_build)
    ls = sub.add_parser("list", help="the tree's schedules and the bench's tactic names")
    ls.add_argument("--machete-dir", type=Path, required=True)
    ls.set_defaults(func=_cmd_list)
    r = sub.add_parser("run", help=f"run {BINARY} and print its JSON records")
    r.add_argument("--binary", type=Path, default=default_machete_binary(),
                   help="default: $W4A16_MACHETE_BINARY, else build/machete/" + BINARY)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--k", type=int, required=True)
    r.add_argument("--m", required=True, help="comma-separated token counts")
    r.add_argument("--group", type=int, default=128)
    r.add_argument("--label", default="")
    r.add_argument("--schedules", default="all")
    r.add_argument("--seed", type=int, default=1234)
    for _, flag, kind in _timing_flags():
        r.add_argument(flag, type=kind)
    r.add_argument("--out", type=Path, help="write the records here instead of stdout")
    r.set_defaults(func=_cmd_run)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
