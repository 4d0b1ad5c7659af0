"""Case directories: the contract between the Python reference and the C++ tool's case mode.

A case directory holds the inputs of one GEMM (`case.json` plus raw little-endian files); the
tool built beside the test binary (`w4a16SM90Tool --w4a16_case=DIR`) runs the requested
tactics on them and writes one raw output per tactic under `out/` and a `result.json`.
Weights travel as plain int8 [K, N] so that the build's own C++ preprocessing is what gets
exercised.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from w4a16 import paths
from w4a16.errors import UserError
from w4a16.reference import (
    Reference,
    check_dtype,
    check_problem,
    dequantize,
    from_bits,
    gemv_chain_scale,
    quantize,
    reference_matmul,
    to_bits,
)
from w4a16.tactics import GEMV_TACTIC, QUANT_OPS

if TYPE_CHECKING:
    import torch

FORMAT_VERSION = 1
CASE_JSON = "case.json"
RESULT_JSON = "result.json"
ACTIVATIONS_BIN = "activations.bin"
WEIGHTS_BIN = "weights_int4.bin"
SCALES_BIN = "scales.bin"
ZEROS_BIN = "zeros.bin"
BIAS_BIN = "bias.bin"
OUT_DIR = "out"
STATUSES = ("ok", "error", "not_compiled")
ALL_TACTICS = ("all",)


@dataclass(frozen=True)
class CaseSpec:
    """What `case.json` says: the problem, without its data."""

    m: int
    n: int
    k: int
    group_size: int
    dtype: str
    quant_op: str
    alpha: float = 1.0
    has_bias: bool = False
    tactics: tuple[str, ...] = ALL_TACTICS

    def validate(self) -> None:
        if self.m <= 0:
            raise UserError(f"M={self.m} must be positive")
        check_problem(self.k, self.n, self.group_size)
        check_dtype(self.dtype)
        if self.quant_op not in QUANT_OPS:
            raise UserError(f"unknown quant op {self.quant_op!r}; choose from {QUANT_OPS}")
        if not self.tactics:
            raise UserError("a case must request at least one tactic (or 'all')")

    @property
    def has_zeros(self) -> bool:
        return self.quant_op == "scale_zeros"

    @property
    def label(self) -> str:
        """Readable id, e.g. `m16_n6144_k4096_g128_bf16_zeros_bias`."""
        parts = [f"m{self.m}", f"n{self.n}", f"k{self.k}", f"g{self.group_size}", self.dtype]
        parts.append("zeros" if self.has_zeros else "scale")
        if self.has_bias:
            parts.append("bias")
        if self.alpha != 1.0:
            parts.append(f"alpha{self.alpha:g}")
        return "_".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "m": self.m,
            "n": self.n,
            "k": self.k,
            "group_size": self.group_size,
            "dtype": self.dtype,
            "quant_op": self.quant_op,
            "alpha": float(self.alpha),
            "has_bias": self.has_bias,
            "tactics": list(self.tactics),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseSpec:
        if data.get("version") != FORMAT_VERSION:
            raise UserError(f"{CASE_JSON}: unsupported version {data.get('version')!r}")
        try:
            spec = cls(
                m=int(data["m"]),
                n=int(data["n"]),
                k=int(data["k"]),
                group_size=int(data["group_size"]),
                dtype=str(data["dtype"]),
                quant_op=str(data["quant_op"]),
                alpha=float(data["alpha"]),
                has_bias=bool(data["has_bias"]),
                tactics=tuple(str(t) for t in data["tactics"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{CASE_JSON}: missing or malformed field ({exc})") from exc
        spec.validate()
        return spec


@dataclass(frozen=True)
class Case:
    """A spec with its data, every array exactly as it is stored on disk."""

    spec: CaseSpec
    activations: np.ndarray  # uint16 bits [M, K]
    weights: np.ndarray  # int8 [K, N] in [-8, 7]
    scales: np.ndarray  # uint16 bits [K/g, N]
    zeros: np.ndarray | None = None  # uint16 bits [K/g, N]
    bias: np.ndarray | None = None  # uint16 bits [N]

    def value(self, name: str) -> np.ndarray | None:
        """A 16-bit array decoded to float32 values (None stays None)."""
        arr = getattr(self, name)
        return None if arr is None else from_bits(arr, self.spec.dtype)

    def reference(self, device: str | torch.device = "cpu") -> Reference:
        """The float64 reference and error-model scale for this case, computed on `device`."""
        s = self.spec
        w = dequantize(
            self.weights, self.value("scales"), self.value("zeros"), s.group_size, device
        )
        return reference_matmul(self.value("activations"), w, s.dtype, s.alpha, self.value("bias"))

    def reference_for(self, tactic: str, device: str | torch.device = "cpu") -> Reference:
        """The reference judged with the error model of `tactic`'s accumulation: the CUDA-core
        GEMV's chains for `cuda_core_gemv`, fp32 for every CUTLASS tactic."""
        ref = self.reference(device)
        if tactic != GEMV_TACTIC:
            return ref
        s = self.spec
        g = gemv_chain_scale(self.value("activations"), self.weights, self.value("scales"),
                             self.value("zeros"), s.group_size, s.alpha, device)
        return Reference(ref.ref, g, ref.dtype, "chains")


def random_case(spec: CaseSpec, seed: int, weight_std: float = 0.02) -> Case:
    """Fresh random data for `spec`: normal activations and LLM-like weights, quantized."""
    spec.validate()
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((spec.k, spec.n), dtype=np.float32)
    w *= np.float32(weight_std)
    qw = quantize(w, spec.group_size, spec.dtype, with_zeros=spec.has_zeros)
    del w
    a = rng.standard_normal((spec.m, spec.k), dtype=np.float32)
    bias = None
    if spec.has_bias:
        bias = to_bits(rng.standard_normal(spec.n, dtype=np.float32), spec.dtype)
    return Case(
        spec=spec,
        activations=to_bits(a, spec.dtype),
        weights=qw.q,
        scales=to_bits(qw.scales, spec.dtype),
        zeros=None if qw.zeros is None else to_bits(qw.zeros, spec.dtype),
        bias=bias,
    )


def _expected_shapes(spec: CaseSpec) -> dict[str, tuple[tuple[int, ...], type]]:
    groups = spec.k // spec.group_size
    shapes: dict[str, tuple[tuple[int, ...], type]] = {
        ACTIVATIONS_BIN: ((spec.m, spec.k), np.uint16),
        WEIGHTS_BIN: ((spec.k, spec.n), np.int8),
        SCALES_BIN: ((groups, spec.n), np.uint16),
    }
    if spec.has_zeros:
        shapes[ZEROS_BIN] = ((groups, spec.n), np.uint16)
    if spec.has_bias:
        shapes[BIAS_BIN] = ((spec.n,), np.uint16)
    return shapes


_FILE_FIELDS = {
    ACTIVATIONS_BIN: "activations",
    WEIGHTS_BIN: "weights",
    SCALES_BIN: "scales",
    ZEROS_BIN: "zeros",
    BIAS_BIN: "bias",
}


def write_case(directory: Path, case: Case) -> Path:
    """Write `case` into `directory` (created if needed); returns the directory."""
    spec = case.spec
    spec.validate()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    expected = _expected_shapes(spec)
    for name, attr in _FILE_FIELDS.items():
        arr = getattr(case, attr)
        if name not in expected:
            if arr is not None:
                raise UserError(f"case has {attr} but its spec does not ask for them")
            continue
        shape, dtype = expected[name]
        if arr is None or tuple(arr.shape) != shape or arr.dtype != dtype:
            got = None if arr is None else (list(arr.shape), str(arr.dtype))
            raise UserError(f"{attr} must be {np.dtype(dtype)} {list(shape)}, got {got}")
        np.ascontiguousarray(arr).astype(np.dtype(dtype).newbyteorder("<")).tofile(directory / name)
    (directory / CASE_JSON).write_text(json.dumps(spec.to_json(), indent=2) + "\n")
    return directory


def _read_raw(path: Path, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"missing case file {path}")
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    size = path.stat().st_size
    if size != expected:
        raise UserError(f"{path}: expected {expected} bytes for {list(shape)}, found {size}")
    data = np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<"))
    return data.astype(dtype, copy=False).reshape(shape)


def read_case(directory: Path) -> Case:
    """Read a case directory written by `write_case` (or by hand), checking every size."""
    directory = Path(directory)
    spec = CaseSpec.from_json(_read_json(directory / CASE_JSON))
    arrays = {
        _FILE_FIELDS[name]: _read_raw(directory / name, shape, dtype)
        for name, (shape, dtype) in _expected_shapes(spec).items()
    }
    weights = arrays["weights"]
    if weights.size and (weights.min() < -8 or weights.max() > 7):
        raise UserError(f"{directory / WEIGHTS_BIN}: int4 values must lie in [-8, 7]")
    return Case(spec=spec, **arrays)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise UserError(f"missing {path}") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TacticResult:
    name: str
    status: str  # one of STATUSES
    message: str
    file: str | None  # relative to the case directory


@dataclass(frozen=True)
class CaseFileResult:
    """What the tool reported for one case directory (its result.json): each requested
    tactic's status and raw output file. Not a gtest case outcome (w4a16.gtest.CaseResult)."""

    directory: Path
    device: str
    tactics: tuple[TacticResult, ...] = field(default_factory=tuple)

    def get(self, name: str) -> TacticResult | None:
        return next((t for t in self.tactics if t.name == name), None)

    def output(self, tactic: TacticResult, m: int, n: int) -> np.ndarray:
        """The tactic's raw 16-bit output [M, N]."""
        if tactic.status != "ok" or tactic.file is None:
            raise UserError(f"tactic {tactic.name} has no output (status {tactic.status})")
        return _read_raw(self.directory / tactic.file, (m, n), np.uint16)


def read_result(directory: Path) -> CaseFileResult:
    """Parse and validate `result.json` of a case directory the tool has run."""
    directory = Path(directory)
    path = directory / RESULT_JSON
    data = _read_json(path)
    if data.get("version") != FORMAT_VERSION:
        raise UserError(f"{path}: unsupported version {data.get('version')!r}")
    entries = data.get("tactics")
    if not isinstance(entries, list):
        raise UserError(f"{path}: 'tactics' must be a list")
    tactics = []
    for entry in entries:
        try:
            t = TacticResult(
                name=str(entry["name"]),
                status=str(entry["status"]),
                message=str(entry.get("message", "")),
                file=None if entry.get("file") is None else str(entry["file"]),
            )
        except (KeyError, TypeError) as exc:
            raise UserError(f"{path}: malformed tactic entry {entry!r}") from exc
        if t.status not in STATUSES:
            raise UserError(f"{path}: tactic {t.name} has unknown status {t.status!r}")
        if t.status == "ok" and t.file != f"{OUT_DIR}/{t.name}.bin":
            raise UserError(f"{path}: tactic {t.name} is ok but names file {t.file!r}")
        tactics.append(t)
    return CaseFileResult(directory, str(data.get("device", "")), tuple(tactics))


def run_case(binary: Path, directory: Path, timeout_s: float = 600.0) -> CaseFileResult:
    """Run the case mode on `directory` and return its parsed result.

    `binary` names the build: the test binary (or the tool itself); the tool that runs is
    the one beside it (`paths.tool_binary_for`).
    """
    tool = paths.tool_binary(Path(binary))
    directory = Path(directory)
    (directory / RESULT_JSON).unlink(missing_ok=True)
    try:
        proc = subprocess.run(
            [str(tool), f"--w4a16_case={directory}"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise UserError(f"{tool} timed out after {timeout_s:g} s on {directory}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise UserError(f"{tool} failed on {directory} (exit {proc.returncode}): {tail[0]}")
    return read_result(directory)

