"""Find everything a build needs, and say plainly which copy of each it uses.

Kernel sources, in order: a tree in TensorRT-LLM's `cpp/` layout (`--trtllm-dir`, else the
populated submodule, else a TensorRT-LLM-derived tree at `../shared/trtllm-tree` or
`$W4A16_TRTLLM_TREE`), else the TensorRT-LLM kernel slice that the `flashinfer-python` wheel
vendors (installed, or fetched into the cache folder with pip). `--slice` skips the trees.

Which build the sources give: a tree that holds `CutlassFpAIntBGemmRunner`'s body, the weight
preprocessor and the CUDA-core GEMV gets the full-tree build (the test goes through the runner
and TensorRT-LLM's preprocessing, and the GEMV is a tactic); the kernel slice, which has none
of those, gets the slim build (the SM90 dispatch the runner calls, and our own preprocessing).

Also: nvcc, CUTLASS (the tree's own `3rdparty/cutlass`, else the one in the flashinfer slice),
the cuBLAS headers (TensorRT-LLM's cudaUtils.h includes cublasLt.h), and GoogleTest (a source
folder to build, or an installed package).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from w4a16 import gemv_units, paths
from w4a16.errors import UserError

FLASHINFER_PACKAGE = "flashinfer-python"
FLASHINFER_VERSION = "0.7.2.post1"
CUBLAS_PACKAGE = "nvidia-cublas"
CUBLAS_VERSION = "13.10.0.20"

KERNEL_DIR = "tensorrt_llm/kernels/cutlass_kernels/fpA_intB_gemm"
SM90_TEMPLATE = f"{KERNEL_DIR}/fpA_intB_gemm_template_sm90.h"
COMMON_CPP = ("logger.cpp", "stringUtils.cpp", "tllmException.cpp", "envUtils.cpp")
HEURISTIC_CPP = "tensorrt_llm/kernels/cutlass_kernels/cutlass_heuristic.cpp"
# What makes a tree "full": the runner's body, the weight preprocessor, the GEMV launcher.
RUNNER_TEMPLATE = f"{KERNEL_DIR}/fpA_intB_gemm_template.h"
PREPROCESSORS_CPP = "tensorrt_llm/kernels/cutlass_kernels/cutlass_preprocessors.cpp"
GEMV_LAUNCHER = gemv_units.LAUNCHER_HEADER
FULL_TREE_FILES = (RUNNER_TEMPLATE, PREPROCESSORS_CPP, GEMV_LAUNCHER)
# What the build copies out of the flashinfer wheel (everything else stays zipped).
WHEEL_SUBTREES = (
    "flashinfer/data/csrc/nv_internal/",
    "flashinfer/data/cutlass/include/",
    "flashinfer/data/cutlass/tools/util/include/",
    "flashinfer/data/include/",
)


@dataclass
class KernelSources:
    """Include folders and the few .cpp files of one TensorRT-LLM kernel tree."""

    # "trtllm-checkout" (any tree in TensorRT-LLM's cpp/ layout) | "flashinfer-installed" |
    # "flashinfer-cache"
    kind: str
    root: Path
    include_dirs: list[Path]
    common_sources: list[Path]
    cutlass_include: Path
    note: str = ""
    # Full trees only: the weight preprocessor's .cpp and the GEMV launcher header.
    runner_sources: list[Path] = field(default_factory=list)
    gemv_launcher: Path | None = None

    @property
    def full_tree(self) -> bool:
        """The runner, the preprocessor and the GEMV are here: the full-tree build."""
        return self.gemv_launcher is not None

    @property
    def build_kind(self) -> str:
        return "full-tree" if self.full_tree else "slim"

    def describe_build(self) -> str:
        if self.full_tree:
            return ("full-tree: CutlassFpAIntBGemmRunner, TensorRT-LLM's weight preprocessing, "
                    "the CUDA-core GEMV as a tactic")
        return ("slim: the SM90 dispatch the runner calls on Hopper, our own weight "
                "preprocessing (the slice has no runner body, preprocessor or GEMV)")


@dataclass
class Toolchain:
    nvcc: Path
    nvcc_version: str
    cublas_include: Path
    cublas_from: str
    gtest_source: Path | None
    gtest_from: str


@dataclass
class Located:
    kernels: KernelSources
    tools: Toolchain
    cutlass_version: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def include_dirs(self) -> list[Path]:
        return [*self.kernels.include_dirs, self.tools.cublas_include]

    def summary_rows(self) -> list[tuple[str, str]]:
        t, k = self.tools, self.kernels
        return [
            ("kernel sources", f"{k.kind}: {k.root}" + (f" ({k.note})" if k.note else "")),
            ("build", k.describe_build()),
            ("CUTLASS", f"{self.cutlass_version or '?'}: {k.cutlass_include}"),
            ("nvcc", f"{t.nvcc_version}: {t.nvcc}"),
            ("cuBLAS headers", f"{t.cublas_from}: {t.cublas_include}"),
            ("GoogleTest", f"{t.gtest_from}" + (f": {t.gtest_source}" if t.gtest_source else "")),
        ]

    def to_json(self) -> dict:
        def clean(obj):  # Paths -> str for json
            if isinstance(obj, dict):
                return {key: clean(v) for key, v in obj.items()}
            if isinstance(obj, list | tuple):
                return [clean(v) for v in obj]
            return str(obj) if isinstance(obj, Path) else obj

        return clean(asdict(self))


# ---- kernel sources ------------------------------------------------------------------------


def _is_trtllm_checkout(path: Path) -> bool:
    return (path / "cpp" / SM90_TEMPLATE).is_file()


def _is_full_tree(cpp: Path) -> bool:
    return all((cpp / f).is_file() for f in FULL_TREE_FILES)


def _from_trtllm(root: Path, cache: Path, fetch: bool) -> KernelSources:
    """A tree in TensorRT-LLM's layout: a checkout, or a TensorRT-LLM-derived tree.

    A checkout brings CUTLASS at 3rdparty/cutlass; a tree without it (an extraction, or a
    checkout whose submodules were not fetched) borrows the flashinfer slice's CUTLASS, and
    the note says so. TensorRT-LLM's common .cpp files are compiled where the tree has them
    (a derived tree may keep that code header-only).
    """
    cpp = root / "cpp"
    notes = []
    cutlass = root / "3rdparty" / "cutlass"
    if (cutlass / "include" / "cutlass").is_dir():
        cutlass_dirs = [cutlass / "include", cutlass / "tools" / "util" / "include"]
    else:
        data = flashinfer_cache_data(cache, fetch)
        if data is None:
            raise UserError(
                f"TensorRT-LLM tree {root} has no CUTLASS at 3rdparty/cutlass (run `git submodule "
                "update --init 3rdparty/cutlass` in it), and the flashinfer slice's CUTLASS is "
                "not cached (drop --offline to fetch it)"
            )
        cutlass_dirs = [data / "cutlass" / "include",
                        data / "cutlass" / "tools" / "util" / "include"]
        notes.append(f"CUTLASS {cutlass_version(cutlass_dirs[0]) or '?'} from the "
                     f"{FLASHINFER_PACKAGE} slice: the tree has no 3rdparty/cutlass")
    common = [p for p in (cpp / "tensorrt_llm" / "common" / f for f in COMMON_CPP) if p.is_file()]
    full = _is_full_tree(cpp)
    if not full:
        missing = [f for f in FULL_TREE_FILES if not (cpp / f).is_file()]
        notes.append(f"no {Path(missing[0]).name}: slim build")
    return KernelSources(
        kind="trtllm-checkout",
        root=root,
        include_dirs=[
            cpp,
            cpp / "include",
            cpp / "tensorrt_llm" / "cutlass_extensions" / "include",
            *cutlass_dirs,
        ],
        common_sources=[*common, cpp / HEURISTIC_CPP],
        cutlass_include=cutlass_dirs[0],
        note="; ".join(notes),
        runner_sources=[cpp / PREPROCESSORS_CPP] if full else [],
        gemv_launcher=cpp / GEMV_LAUNCHER if full else None,
    )


def _from_flashinfer_data(data: Path, kind: str, note: str) -> KernelSources:
    nv = data / "csrc" / "nv_internal"
    if not (nv / SM90_TEMPLATE).is_file():
        raise UserError(f"{data} does not hold TensorRT-LLM's SM90 kernel slice ({SM90_TEMPLATE})")
    return KernelSources(
        kind=kind,
        root=data,
        include_dirs=[
            nv,
            nv / "include",
            nv / "tensorrt_llm" / "cutlass_extensions" / "include",
            data / "cutlass" / "include",
            data / "cutlass" / "tools" / "util" / "include",
            data / "include",
        ],
        common_sources=[nv / "cpp" / "common" / f for f in COMMON_CPP] + [nv / HEURISTIC_CPP],
        cutlass_include=data / "cutlass" / "include",
        note=note,
    )


def _installed_flashinfer() -> tuple[Path, str] | None:
    """The installed flashinfer's data folder, without importing it (that pulls in torch)."""
    try:
        spec = importlib.util.find_spec("flashinfer")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    try:
        version = importlib.metadata.version(FLASHINFER_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return (data, version) if data.is_dir() else None


def _pip_download(package: str, version: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    existing = sorted(dest.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if existing:
        return existing[0]
    print(f"[sources] fetching {package}=={version} with pip into {dest} ...", flush=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest),
           f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise UserError(f"could not fetch {package}=={version} with pip: {last}")
    found = sorted(dest.glob(f"{package.replace('-', '_')}-{version}-*.whl"))
    if not found:
        raise UserError(f"pip reported success but no {package} wheel is in {dest}")
    return found[0]


def _extract(wheel: Path, prefixes: tuple[str, ...], target: Path) -> None:
    marker = target / ".complete"
    if marker.exists():
        return
    print(f"[sources] extracting {wheel.name} -> {target}", flush=True)
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith(prefixes) and not name.endswith("/"):
                zf.extract(name, tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    marker.write_text(wheel.name + "\n")


def flashinfer_cache_data(cache: Path, fetch: bool) -> Path | None:
    """The slice extracted under the cache folder; fetched with pip when allowed."""
    target = cache / f"flashinfer-python-{FLASHINFER_VERSION}"
    data = target / "flashinfer" / "data"
    if (target / ".complete").exists():
        return data
    if not fetch:
        return None
    wheel = _pip_download(FLASHINFER_PACKAGE, FLASHINFER_VERSION, cache / "wheels")
    _extract(wheel, WHEEL_SUBTREES, target)
    return data


def _shared_tree() -> Path:
    """Where a TensorRT-LLM-derived tree is looked for when no checkout is given."""
    env = os.environ.get("W4A16_TRTLLM_TREE")
    return Path(env) if env else paths.SHARED_TREE


def locate_slice(cache: Path, fetch: bool) -> KernelSources:
    """The flashinfer wheel's kernel slice: installed, else cached (fetched when allowed)."""
    installed = _installed_flashinfer()
    if installed is not None:
        data, version = installed
        note = f"{FLASHINFER_PACKAGE} {version} installed"
        if version != FLASHINFER_VERSION:
            note += f"; pinned version is {FLASHINFER_VERSION}"
        return _from_flashinfer_data(data, "flashinfer-installed", note)
    data = flashinfer_cache_data(cache, fetch)
    if data is not None:
        note = f"{FLASHINFER_PACKAGE} {FLASHINFER_VERSION}"
        return _from_flashinfer_data(data, "flashinfer-cache", note)
    raise UserError(
        "no TensorRT-LLM kernel sources: populate the submodule "
        f"(git submodule update --init --depth 1 {paths.SUBMODULE.name}) or pass --trtllm-dir, "
        f"or allow fetching {FLASHINFER_PACKAGE}=={FLASHINFER_VERSION} with pip (drop --offline)"
    )


def locate_kernels(trtllm_dir: Path | None, cache: Path, fetch: bool,
                   slice_only: bool = False) -> KernelSources:
    """The kernel sources in the module docstring's order; `slice_only` skips the trees."""
    if trtllm_dir is not None:
        if slice_only:
            raise UserError("--trtllm-dir and --slice contradict each other: choose one")
        if not trtllm_dir.is_dir():
            raise UserError(f"--trtllm-dir {trtllm_dir} does not exist")
        if not _is_trtllm_checkout(trtllm_dir):
            raise UserError(
                f"--trtllm-dir {trtllm_dir} is not a TensorRT-LLM checkout "
                f"(no cpp/{SM90_TEMPLATE})"
            )
        return _from_trtllm(trtllm_dir, cache, fetch)
    if not slice_only:
        for tree in (paths.SUBMODULE, _shared_tree()):
            if _is_trtllm_checkout(tree):
                return _from_trtllm(tree, cache, fetch)
    return locate_slice(cache, fetch)


def cutlass_version(include: Path) -> str:
    header = include / "cutlass" / "version.h"
    if not header.is_file():
        return ""
    text = header.read_text(errors="replace")
    parts = [re.search(rf"#define CUTLASS_{k}\s+(\d+)", text) for k in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(m.group(1) for m in parts if m) if all(parts) else ""


# ---- toolchain -----------------------------------------------------------------------------


CUDA_BIN = Path("/usr/local/cuda/bin")


def cuda_tool(name: str) -> str | None:
    """A CUDA toolkit program (nvcc, ncu, cuobjdump, compute-sanitizer): PATH first, then the
    toolkit's default bin folder, which is not always on PATH where the GPU is."""
    for cand in (shutil.which(name), CUDA_BIN / name):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def locate_nvcc(explicit: str | None) -> tuple[Path, str]:
    if explicit and not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
        raise UserError(f"--nvcc {explicit} is not an executable file")
    candidates = [explicit, os.environ.get("CUDACXX"), cuda_tool("nvcc")]
    for cand in candidates:
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            out = subprocess.run([cand, "--version"], capture_output=True, text=True).stdout
            m = re.search(r"release (\d+\.\d+)", out)
            version = m.group(1) if m else "unknown"
            if m and float(version) < 12.0:
                raise UserError(f"nvcc {version} at {cand} is too old: sm_90a needs CUDA 12.0+")
            return Path(cand).resolve(), version
    raise UserError(
        "nvcc not found: install the CUDA toolkit (12.0 or newer), put nvcc on PATH, "
        "or pass --nvcc / set CUDACXX"
    )


def _cuda_include(nvcc: Path) -> Path:
    return nvcc.parent.parent / "include"


def locate_cublas_headers(nvcc: Path, cache: Path, fetch: bool) -> tuple[Path, str]:
    cuda_inc = _cuda_include(nvcc)
    if (cuda_inc / "cublasLt.h").is_file():
        return cuda_inc, "CUDA toolkit"
    for entry in map(Path, sys.path):
        for sub in ("nvidia/cu13/include", "nvidia/cublas/include"):
            if (entry / sub / "cublasLt.h").is_file():
                return entry / sub, f"pip package {CUBLAS_PACKAGE} (installed)"
    target = cache / f"nvidia-cublas-{CUBLAS_VERSION}"
    inc = target / "nvidia" / "cu13" / "include"
    if not (target / ".complete").exists():
        if not fetch:
            raise UserError(
                f"cublasLt.h not found in {cuda_inc} nor in an installed {CUBLAS_PACKAGE}; "
                "install the cuBLAS headers or drop --offline to fetch them with pip"
            )
        wheel = _pip_download(CUBLAS_PACKAGE, CUBLAS_VERSION, cache / "wheels")
        _extract(wheel, ("nvidia/cu13/include/",), target)
        wheel.unlink()  # 400+ MB of libraries we do not need; the headers are extracted
    return inc, f"pip package {CUBLAS_PACKAGE}=={CUBLAS_VERSION} (cached headers)"


def locate_gtest(explicit: str | None, cache: Path) -> tuple[Path | None, str]:
    """A GoogleTest source folder to build with the test, else an installed package."""
    candidates = [
        (explicit, "--gtest-src"),
        (os.environ.get("GTEST_SRC"), "$GTEST_SRC"),
        ("/usr/src/googletest", "Debian googletest sources"),
        (str(cache / "googletest"), "cached copy"),
    ]
    for cand, label in candidates:
        if cand and (Path(cand) / "CMakeLists.txt").is_file() and (
            Path(cand) / "googletest").is_dir():
            return Path(cand), f"source folder ({label})"
        if cand and label == "--gtest-src":
            raise UserError(f"--gtest-src {cand} is not a GoogleTest source folder")
    for prefix in ("/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/local/lib"):
        if Path(prefix, "libgtest.a").is_file() or Path(prefix, "libgtest.so").is_file():
            return None, f"installed package (find_package(GTest), {prefix})"
    raise UserError(
        "GoogleTest not found: install it (apt-get install googletest libgtest-dev) "
        "or pass --gtest-src with a GoogleTest source folder"
    )


def locate(
    trtllm_dir: Path | None = None,
    nvcc: str | None = None,
    gtest_src: str | None = None,
    fetch: bool = True,
    cache: Path | None = None,
    slice_only: bool = False,
) -> Located:
    cache = cache or paths.cache_dir()
    kernels = locate_kernels(trtllm_dir, cache, fetch, slice_only)
    nvcc_path, nvcc_version = locate_nvcc(nvcc)
    cublas, cublas_from = locate_cublas_headers(nvcc_path, cache, fetch)
    gtest, gtest_from = locate_gtest(gtest_src, cache)
    found = Located(
        kernels=kernels,
        tools=Toolchain(nvcc_path, nvcc_version, cublas, cublas_from, gtest, gtest_from),
        cutlass_version=cutlass_version(kernels.cutlass_include),
    )
    missing = [p for p in [*kernels.include_dirs, *kernels.common_sources,
                           *kernels.runner_sources] if not p.exists()]
    if missing:
        raise UserError(f"kernel sources in {kernels.root} are incomplete: {missing[0]} is missing")
    return found


def add_locate_args(parser: argparse.ArgumentParser) -> None:
    """Flags shared by every command that needs sources."""
    parser.add_argument(
        "--trtllm-dir",
        type=Path,
        help="TensorRT-LLM checkout, or a tree in its cpp/ layout, to take the kernels from "
        "(default: the submodule if populated, else ../shared/trtllm-tree or $W4A16_TRTLLM_TREE, "
        "else the flashinfer-python slice)",
    )
    parser.add_argument(
        "--slice",
        action="store_true",
        help="use the flashinfer-python kernel slice even where a TensorRT-LLM tree is found "
        "(the slim build)",
    )
    parser.add_argument("--nvcc", help="nvcc to use (default: $CUDACXX, PATH, /usr/local/cuda)")
    parser.add_argument(
        "--gtest-src",
        help="GoogleTest source folder to build with the test (default: $GTEST_SRC, "
        "/usr/src/googletest, the cache, else an installed libgtest)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never fetch with pip; fail if the sources are not already here",
    )


def locate_from_args(args: argparse.Namespace) -> Located:
    return locate(args.trtllm_dir, args.nvcc, args.gtest_src, fetch=not args.offline,
                  slice_only=args.slice)


def print_summary(found: Located) -> None:
    width = max(len(k) for k, _ in found.summary_rows())
    for key, value in found.summary_rows():
        print(f"  {key:<{width}}  {value}")


def _cmd_sources(args: argparse.Namespace) -> int:
    found = locate_from_args(args)
    if args.json:
        print(json.dumps(found.to_json(), indent=2))
    else:
        print("w4a16 sources:")
        print_summary(found)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sources",
        help="find the kernel sources and tools, and say which are used",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_locate_args(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_cmd_sources)
