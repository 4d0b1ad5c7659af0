"""The SM90 W4A16 tactic space: which (tile, cluster) pairs TensorRT-LLM can dispatch to.

One definition shared by the instantiation generator, the build filter, the tests and the
benchmark, so a tactic has the same name everywhere.

Naming follows the CUTLASS profiler's habit of spelling out the configuration:
`tile128x16x64_cluster2x1x1_coop`. The kernel's M tile runs along the weight's N dimension
(TensorRT-LLM swaps the operands), so `tile128x16` covers 128 output columns and 16 tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from w4a16.errors import UserError

TILE_NS = (16, 32, 64, 128, 256)
# (M tile, N tile) pairs in TensorRT-LLM's candidate order: its own ten, then the four 256-row
# tiles that kernel fix 0008 of the series adds (the mixed-input collective then maps two wgmma
# tiles along M per warpgroup). Sources without that fix offer the first ten only.
TRTLLM_TILES = tuple((m, n) for m in (64, 128) for n in TILE_NS)
ROW256_TILES = tuple((256, n) for n in (16, 32, 64, 128))
TILES = TRTLLM_TILES + ROW256_TILES
# What a kernel tree that has the 256-row tiles defines (gemm_configs.h, fix 0008).
ROW256_MACRO = "TLLM_SM90_WEIGHT_ONLY_256_ROW_TILES"
CLUSTERS = ((1, 1), (2, 1), (1, 2), (2, 2))
ACTIVATIONS = ("fp16", "bf16")
QUANT_OPS = ("scale_only", "scale_zeros")
# K tile is 128 bytes of activations: 64 elements of fp16 or bf16.
TILE_K = 64
# The heuristic's last candidate (its first tile flagged enableCudaKernel): TensorRT-LLM's
# weight-only plugins run the CUDA-core GEMV for it. Not a CUTLASS tile: no Tactic parses it.
GEMV_TACTIC = "cuda_core_gemv"
# What `Tactic.name` writes; a suffix may follow.
_NAME = re.compile(rf"^tile(\d+)x(\d+)x{TILE_K}_cluster(\d+)x(\d+)x1_(?:coop|pingpong)(?:_|$)")


def cluster_supported(tile_m: int, tile_n: int, cluster_m: int, cluster_n: int) -> bool:
    """TensorRT-LLM's pruning of (tile, cluster) pairs; only these are ever dispatched."""
    if (cluster_m, cluster_n) == (1, 1):
        return True
    if (cluster_m, cluster_n) == (2, 1):
        return tile_m >= 128
    if (cluster_m, cluster_n) == (1, 2):
        return tile_n >= 128
    if (cluster_m, cluster_n) == (2, 2):
        return tile_m >= 128 and tile_n >= 128
    return False


@dataclass(frozen=True, order=True)
class Tactic:
    """One (tile, cluster) pair; the schedule follows from the M tile."""

    tile_m: int
    tile_n: int
    cluster_m: int
    cluster_n: int

    @property
    def schedule(self) -> str:
        """64-row tiles use the ping-pong kernel, 128-row tiles the cooperative one."""
        return "pingpong" if self.tile_m == 64 else "coop"

    @property
    def name(self) -> str:
        return (
            f"tile{self.tile_m}x{self.tile_n}x{TILE_K}"
            f"_cluster{self.cluster_m}x{self.cluster_n}x1_{self.schedule}"
        )

    @property
    def tile(self) -> str:
        return f"{self.tile_m}x{self.tile_n}"

    @classmethod
    def from_name(cls, name: str) -> Tactic:
        """The inverse of `name`: `tile128x16x64_cluster2x1x1_coop` -> Tactic(128, 16, 2, 1)."""
        match = _NAME.match(name)
        if not match:
            raise ValueError(f"not a tactic name: {name!r}")
        tactic = cls(*(int(g) for g in match.groups()))
        if not name.startswith(tactic.name):
            raise ValueError(f"{name!r}: a {tactic.tile} tile runs the {tactic.schedule} kernel")
        return tactic


def all_tactics(row256: bool = True) -> list[Tactic]:
    """The valid pairs in TensorRT-LLM's candidate order (tile-major, then cluster): 31 with
    the series' 256-row tiles, the 21 TensorRT-LLM ships with `row256=False`."""
    out = []
    for tm, tn in TILES if row256 else TRTLLM_TILES:
        for cm, cn in CLUSTERS:
            if cluster_supported(tm, tn, cm, cn):
                out.append(Tactic(tm, tn, cm, cn))
    return out


@dataclass(frozen=True, order=True)
class Instantiation:
    """One explicit instantiation of the launcher template."""

    activation: str
    quant_op: str
    tactic: Tactic

    @property
    def name(self) -> str:
        return f"{self.activation}_{self.quant_op}_{self.tactic.name}"


def parse_tile_filter(spec: str | None, row256: bool = True) -> set[str] | None:
    """`"128x128,64x16"` -> {"128x128", "64x16"}; None or "all" means no filter. With
    `row256=False` (sources without fix 0008) a 256-row tile is refused by name."""
    if spec is None or spec.strip() in ("", "all"):
        return None
    tiles = {s.strip() for s in spec.split(",") if s.strip()}
    valid = {f"{m}x{n}" for m, n in TILES}
    bad = sorted(tiles - valid)
    if bad:
        raise UserError(
            f"unknown tile(s) {', '.join(bad)}; valid tiles are {', '.join(sorted(valid))}"
        )
    new = sorted(tiles & {f"{m}x{n}" for m, n in ROW256_TILES})
    if new and not row256:
        raise UserError(f"tile(s) {', '.join(new)} need kernel fix 0008 of the series (256-row "
                        f"tiles), which these kernel sources do not have")
    return tiles


def parse_tactic_names(spec: str) -> list[str]:
    """`"tile64x16x64_cluster1x1x1_pingpong,..."` -> the names, each checked by
    `Tactic.from_name` (or the GEMV's name), so a typo is refused before a GPU run is spent on
    it; "" gives []."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    for name in names:
        if name == GEMV_TACTIC:
            continue
        try:
            Tactic.from_name(name)
        except ValueError as e:
            raise UserError(str(e)) from None
    return names


def select(
    tiles: set[str] | None = None,
    activations: tuple[str, ...] = ACTIVATIONS,
    quant_ops: tuple[str, ...] = QUANT_OPS,
    row256: bool = True,
) -> list[Instantiation]:
    """The instantiations a build compiles: all (124 with the 256-row tiles, 84 without), or
    a filtered subset."""
    for a in activations:
        if a not in ACTIVATIONS:
            raise UserError(f"unknown activation type {a!r}; choose from {', '.join(ACTIVATIONS)}")
    for q in quant_ops:
        if q not in QUANT_OPS:
            raise UserError(f"unknown quant op {q!r}; choose from {', '.join(QUANT_OPS)}")
    return [
        Instantiation(a, q, t)
        for a in activations
        for q in quant_ops
        for t in all_tactics(row256)
        if tiles is None or t.tile in tiles
    ]
