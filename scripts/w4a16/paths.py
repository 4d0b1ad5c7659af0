"""Well-known locations inside a checkout of this repository."""

from __future__ import annotations

import os
from pathlib import Path

from w4a16.errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]
CPP_TESTS = REPO_ROOT / "cpp_tests"
PATCHES = REPO_ROOT / "patches"
SUBMODULE = REPO_ROOT / "tensorrt_llm_submodule"
# A TensorRT-LLM-derived tree (TensorRT-LLM's cpp/ layout) kept beside the checkout.
SHARED_TREE = REPO_ROOT.parent / "shared" / "trtllm-tree"
REPORTS = REPO_ROOT / "reports"
TARGET = "w4a16SM90SimpleTest"
BENCH_TARGET = "w4a16SM90Bench"  # the timing harness, built beside TARGET
# The command-line modes (case folders, SM90 preprocessing of a file, the workspace
# reproduction), built beside TARGET.
TOOL_TARGET = "w4a16SM90Tool"


def cache_dir() -> Path:
    """Where fetched sources (kernel slice, cuBLAS headers) are kept between runs."""
    env = os.environ.get("W4A16_CACHE")
    return Path(env) if env else REPO_ROOT / ".cache"


def build_dir(preset: str = "slim", full_tree: bool = False) -> Path:
    """build/<preset> for the slim build; the full-tree build of the same selection goes
    beside it (build/full for all tactics, build/<preset>-full otherwise)."""
    if full_tree:
        return REPO_ROOT / "build" / ("full" if preset == "slim" else f"{preset}-full")
    return REPO_ROOT / "build" / preset


def default_build() -> Path:
    """The folder of the main job's binaries: build/full (from a TensorRT-LLM tree) or
    build/slim (from the flashinfer slice), whichever was built last; build/slim if neither."""
    built = [d for d in (build_dir("slim", full_tree=True), build_dir("slim"))
             if (d / TARGET).is_file()]
    return max(built, key=lambda d: (d / TARGET).stat().st_mtime) if built else build_dir("slim")


def default_binary() -> Path:
    """The test binary the tools use when none is named: $W4A16_BINARY, else the main job's
    (`default_build`)."""
    env = os.environ.get("W4A16_BINARY")
    return Path(env) if env else default_build() / TARGET


def tool_binary_for(binary: Path) -> Path:
    """The tool built beside `binary` (the test binary, the tool itself, or any binary of
    the same build folder): same folder, the tool's name."""
    return Path(binary).parent / TOOL_TARGET


def tool_binary(binary: Path) -> Path:
    """`tool_binary_for(binary)`, checked: a UserError naming the missing file when the tool
    was not built there."""
    tool = tool_binary_for(binary)
    if not tool.is_file():
        raise UserError(f"tool binary not found: {tool} (`w4a16 build` builds it beside "
                        f"{TARGET})")
    return tool
