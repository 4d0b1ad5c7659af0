"""The W4A16 reference: quantize, lay out weights for SM90, compute the exact product, judge.

One implementation shared by the tests and the benchmarks, so "correct" means the same
thing everywhere. Quantization, packing and the SM90 layout use numpy; the float64
product and the checks use torch (CPU or CUDA, imported only when needed).

Conventions (TensorRT-LLM's own torch tests): w[k, n] = q[k, n] * s[k // g, n] (+ z[k // g, n]
for the scale-and-zeros op), q a signed int4 in [-8, 7], s and z of shape [K/g, N] with N
contiguous, out = alpha * (A @ w) + bias[n].

Error model. u is the unit roundoff of the activation dtype (fp16 2^-11, bf16 2^-8). The
reference `ref` is computed in float64 from the exact weights q*s+z (s, z already dtype
values) and S[m, n] = |alpha| * sqrt(sum_k (a[m,k] * w[k,n])^2). An output passes when

    |out - ref| <= u * |ref| + 5 * u * S

Why this holds for a correct kernel:
- The kernel forms w~ = rnd(rnd(q*s) + z) (one rounding without zeros). Each rounding moves
  a value x by at most u*|x|, and on data not aligned to the dtype's grid the move is close
  to uniform and zero-mean, so its variance is at most u^2 x^2 / 3. With |q*s| about |w|
  (true when z sits near the group's mid-range, as min/max quantization puts it) the error
  alpha * sum_k a_k (w~_k - w_k) has std <= sqrt(2/3) * u * S with zeros, u/sqrt(3) * S
  without. Uniform errors are sub-Gaussian with their own variance, so 5uS sits at least
  6.1 (zeros) or 8.7 (no zeros) standard deviations out; the average rounding error is
  about 0.74x the worst case, which pushes both past 8 in practice. Safe over 10^8 outputs.
- Products of two dtype values are exact in fp32; fp32 accumulation over K <= 32768 adds
  about sqrt(K/16) * 2^-24 relative error, under 1% of u, absorbed by the margin.
- Rounding the fp32 result x to the dtype moves it by at most u*|x| <= u*|ref| + u*|x-ref|;
  the second term is second order and also absorbed.
The normwise check ||out - ref|| / ||ref|| <= 4u is reported alongside: for random data a
correct kernel lands below 1u (output rounding plus weight rounding), so 4u flags a kernel
that is wrong on average even when no single element breaks the elementwise bound.

TensorRT-LLM's CUDA-core GEMV (the tactic `cuda_core_gemv`) accumulates in the activation
dtype along fixed chains instead (cpp_tests/w4a16_host_ref.h has the derivation): on SM90 chunk
c of 32 consecutive k goes to thread c % 128, iteration c // 128; scale-only sums each chunk's
q*a with one rounding per step, then adds s_c times the chunk sum to the thread's accumulator
(one rounding per iteration); with zeros it rounds w = q*s + z once and adds w*a to the thread's
accumulator one k at a time. With S replaced by G = |alpha| * sqrt(sum of (scale * value)^2
over every rounded partial sum, plus sum_k (a w)^2 with zeros), the same 5u bound holds
elementwise (8.7 sigma), and normwise ||out - ref|| <= 4u ||ref|| + 2u ||G||.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from w4a16.errors import UserError

if TYPE_CHECKING:
    import torch

# --- activation dtypes -------------------------------------------------------------------

DTYPES = ("fp16", "bf16")
UNIT_ROUNDOFF = {"fp16": 2.0**-11, "bf16": 2.0**-8}
# The bit pattern the C++ binary fills outputs with before a launch: NaN in fp16 and bf16.
POISON_BITS = 0xFFFF

# --- the kernel's constraints ------------------------------------------------------------

TILE_K = 64  # the kernel's K tile; group sizes must be a multiple of it
N_ALIGNMENT = 8  # 16-byte rows of fp16/bf16
INT4_MIN, INT4_MAX = -8, 7

# --- SM90 weight layout (named so the lead can check them against the kernel) -------------

# Step 1: within each block of 32 consecutive K rows, new row i is old row ROW_PERMUTATION[i].
ROW_PERMUTATION = (
    0, 1, 8, 9, 16, 17, 24, 25,
    2, 3, 10, 11, 18, 19, 26, 27,
    4, 5, 12, 13, 20, 21, 28, 29,
    6, 7, 14, 15, 22, 23, 30, 31,
)  # fmt: skip
ROW_PERMUTATION_SPAN = len(ROW_PERMUTATION)
# Step 4: nibble p (counted from the least significant) of each little-endian 32-bit word
# holds element NIBBLE_ORDER[p] of the word's 8 consecutive K elements.
NIBBLE_ORDER = (0, 2, 4, 6, 1, 3, 5, 7)
NIBBLES_PER_WORD = len(NIBBLE_ORDER)
# Stored nibble v means the value v - INT4_BIAS.
INT4_BIAS = 8


def check_dtype(dtype: str) -> None:
    if dtype not in DTYPES:
        raise UserError(f"unknown activation dtype {dtype!r}; choose from {', '.join(DTYPES)}")


def unit_roundoff(dtype: str) -> float:
    check_dtype(dtype)
    return UNIT_ROUNDOFF[dtype]


def round_to_dtype(x: np.ndarray | float, dtype: str) -> np.ndarray:
    """Round to the nearest fp16/bf16 value (ties to even); returned as float32.

    bf16 is rounded from float64 directly (8 significant bits), avoiding a double rounding
    through float32; fp16 uses numpy's own conversion.
    """
    check_dtype(dtype)
    x64 = np.asarray(x, dtype=np.float64)
    if dtype == "fp16":
        return x64.astype(np.float16).astype(np.float32)
    mant, exp = np.frexp(x64)  # x = mant * 2**exp with 0.5 <= |mant| < 1
    with np.errstate(over="ignore"):
        return np.ldexp(np.round(mant * 256.0) / 256.0, exp).astype(np.float32)


def to_bits(x: np.ndarray | float, dtype: str) -> np.ndarray:
    """Raw 16-bit patterns of x rounded to the dtype, as the binary's files hold them."""
    r = round_to_dtype(x, dtype)
    if dtype == "fp16":
        return r.astype(np.float16).view(np.uint16)
    return (r.view(np.uint32) >> 16).astype(np.uint16)


def from_bits(bits: np.ndarray, dtype: str) -> np.ndarray:
    """Decode raw fp16/bf16 patterns to float32 (exact)."""
    check_dtype(dtype)
    b = np.asarray(bits, dtype=np.uint16)
    if dtype == "fp16":
        return b.view(np.float16).astype(np.float32)
    return (b.astype(np.uint32) << 16).view(np.float32)


# --- shapes --------------------------------------------------------------------------------


def check_problem(k: int, n: int, group_size: int) -> None:
    """Reject what the kernel cannot run, with a one-line reason."""
    if group_size <= 0 or group_size % TILE_K:
        raise UserError(
            f"group size {group_size} is not a positive multiple of {TILE_K} (the kernel's K tile)"
        )
    if k <= 0 or k % group_size:
        raise UserError(f"K={k} is not a positive multiple of the group size {group_size}")
    if n <= 0 or n % N_ALIGNMENT:
        raise UserError(f"N={n} is not a positive multiple of {N_ALIGNMENT}")


def _check_int4(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q)
    if q.ndim != 2:
        raise UserError(f"int4 weights must be a 2-D [K, N] array, got shape {q.shape}")
    if not np.issubdtype(q.dtype, np.integer):
        raise UserError(f"int4 weights must be integers, got dtype {q.dtype}")
    if q.size and (q.min() < INT4_MIN or q.max() > INT4_MAX):
        raise UserError(f"int4 weights must lie in [{INT4_MIN}, {INT4_MAX}]")
    return q.astype(np.int8, copy=False)


# --- quantization --------------------------------------------------------------------------


@dataclass(frozen=True)
class QuantizedWeight:
    """Signed int4 weights with per-group scales (and zeros), all as the kernel takes them."""

    q: np.ndarray  # int8 [K, N] in [-8, 7]
    scales: np.ndarray  # float32 [K/g, N], every value exact in the activation dtype
    zeros: np.ndarray | None  # same, or None for the scale-only op
    group_size: int
    dtype: str


def quantize(w: np.ndarray, group_size: int, dtype: str, with_zeros: bool) -> QuantizedWeight:
    """Quantize float weights [K, N] to int4 per group of `group_size` rows.

    Scale only (symmetric, full signed range): s = max(-min/8, max/7), q = round(w / s), so
    the group fits [-8, 7] unclipped, every element is within s/2 of q*s, and both -8 and 7
    occur (whichever end of the group dominates).
    Scale and zeros (min/max): s = (max - min) / 15, z = min + 8*s, q = clip(round((w-z)/s)),
    so min maps to -8 and max to 7. s is rounded up and z to nearest in the dtype before q
    is chosen, so q*s+z is the closest point of the grid the kernel can represent (within
    s/2, plus z's own rounding for the extremes).
    """
    w = np.asarray(w)
    if w.ndim != 2:
        raise UserError(f"weights must be a 2-D [K, N] array, got shape {w.shape}")
    k, n = w.shape
    check_problem(k, n, group_size)
    check_dtype(dtype)
    groups = w.astype(np.float32, copy=False).reshape(k // group_size, group_size, n)
    if with_zeros:
        lo, hi = groups.min(axis=1), groups.max(axis=1)
        scales = _safe_scales((hi - lo) / 15.0, dtype)
        zeros = round_to_dtype(lo + 8.0 * scales, dtype)
        shifted = groups - zeros[:, None, :]
    else:
        reach = np.maximum(-groups.min(axis=1) / -INT4_MIN, groups.max(axis=1) / INT4_MAX)
        scales = _safe_scales(reach, dtype)
        zeros = None
        shifted = groups
    q = np.clip(np.round(shifted / scales[:, None, :]), INT4_MIN, INT4_MAX).astype(np.int8)
    return QuantizedWeight(q.reshape(k, n), scales, zeros, group_size, dtype)


def _safe_scales(raw: np.ndarray, dtype: str) -> np.ndarray:
    """Round scales up to the dtype, so no element lands more than half a step past the grid.

    A group with no spread gets scale 1 (any scale serves it).
    """
    raw = np.where(raw > 0, raw, 1.0)
    scales = round_to_dtype(raw, dtype)
    low = scales < raw
    scales[low] = from_bits(to_bits(scales[low], dtype) + np.uint16(1), dtype)  # next up
    if not np.all(np.isfinite(scales)) or np.any(scales == 0):
        raise UserError(f"weights are out of range for {dtype} scales (underflow or overflow)")
    return scales


# --- packing and the SM90 layout -----------------------------------------------------------


def pack_int4(nibbles: np.ndarray) -> np.ndarray:
    """Pack pairs along the last axis into bytes, element 2j low (bits 0-3), 2j+1 high."""
    nib = np.asarray(nibbles, dtype=np.uint8)
    if nib.shape[-1] % 2:
        raise UserError(f"cannot pack an odd number ({nib.shape[-1]}) of int4 values")
    if nib.size and nib.max() > 0xF:
        raise UserError("nibbles to pack must lie in [0, 15]")
    return (nib[..., 0::2] | (nib[..., 1::2] << 4)).astype(np.uint8)


def unpack_int4(packed: np.ndarray) -> np.ndarray:
    """Inverse of `pack_int4`: each byte becomes (low nibble, high nibble)."""
    p = np.asarray(packed, dtype=np.uint8)
    out = np.empty((*p.shape[:-1], 2 * p.shape[-1]), dtype=np.uint8)
    out[..., 0::2] = p & 0xF
    out[..., 1::2] = p >> 4
    return out


def _check_layout_shape(k: int, n: int) -> None:
    if k <= 0 or k % TILE_K:
        raise UserError(f"K={k} is not a positive multiple of {TILE_K}")
    if n <= 0 or n % N_ALIGNMENT:
        raise UserError(f"N={n} is not a positive multiple of {N_ALIGNMENT}")


def preprocess_sm90(q: np.ndarray) -> np.ndarray:
    """Lay out int4 weights [K, N] (int8 values in [-8, 7]) as the SM90 kernel reads them.

    Returns N*K/2 bytes (flat uint8): rows permuted within blocks of 32, transposed to
    [N, K], biased by +8 and packed 8 nibbles per 32-bit word in NIBBLE_ORDER.
    """
    q = _check_int4(q)
    k, n = q.shape
    _check_layout_shape(k, n)
    blocks = q.reshape(k // ROW_PERMUTATION_SPAN, ROW_PERMUTATION_SPAN, n)
    permuted = blocks[:, ROW_PERMUTATION, :].reshape(k, n)
    biased = (permuted.T.astype(np.int16) + INT4_BIAS).astype(np.uint8)  # [N, K]
    words = biased.reshape(n, k // NIBBLES_PER_WORD, NIBBLES_PER_WORD)
    return pack_int4(words[..., NIBBLE_ORDER]).reshape(-1)


def unpreprocess_sm90(packed: np.ndarray | bytes, k: int, n: int) -> np.ndarray:
    """Exact inverse of `preprocess_sm90`: N*K/2 bytes back to int8 [K, N]."""
    _check_layout_shape(k, n)
    raw = np.frombuffer(packed, dtype=np.uint8) if isinstance(packed, bytes) else packed
    raw = np.asarray(raw, dtype=np.uint8).reshape(-1)
    if raw.size != k * n // 2:
        raise UserError(f"expected {k * n // 2} bytes for K={k}, N={n}, got {raw.size}")
    nibbles = unpack_int4(raw.reshape(n, k // NIBBLES_PER_WORD, NIBBLES_PER_WORD // 2))
    words = np.empty_like(nibbles)
    words[..., NIBBLE_ORDER] = nibbles
    permuted = (words.reshape(n, k).astype(np.int16) - INT4_BIAS).astype(np.int8).T
    q = np.empty((k, n), dtype=np.int8)
    blocks = q.reshape(k // ROW_PERMUTATION_SPAN, ROW_PERMUTATION_SPAN, n)
    blocks[:, ROW_PERMUTATION, :] = permuted.reshape(blocks.shape)
    return q


# --- the float64 reference -----------------------------------------------------------------


def dequantize(
    q: np.ndarray,
    scales: np.ndarray,
    zeros: np.ndarray | None,
    group_size: int,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Exact weights q*s (+z) as float64 [K, N] on `device`; scales/zeros are dtype values."""
    import torch

    q = _check_int4(q)
    k, n = q.shape
    check_problem(k, n, group_size)
    expect = (k // group_size, n)
    for name, arr in (("scales", scales), ("zeros", zeros)):
        if arr is not None and np.shape(arr) != expect:
            raise UserError(f"{name} must have shape {list(expect)}, got {list(np.shape(arr))}")

    def expand(arr: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(np.asarray(arr, dtype=np.float64), device=device)
        return t.repeat_interleave(group_size, dim=0)

    w = torch.as_tensor(q, device=device).to(torch.float64) * expand(scales)
    if zeros is not None:
        w += expand(zeros)
    return w


@dataclass(frozen=True)
class Reference:
    """The exact product and the error model's per-element scale (S, or G for chains), both
    float64 [M, N]."""

    ref: torch.Tensor
    scale: torch.Tensor
    dtype: str
    accumulation: str = "fp32"  # "fp32" (CUTLASS) | "chains" (the CUDA-core GEMV)


def reference_matmul(
    a: np.ndarray | torch.Tensor,
    w: torch.Tensor,
    dtype: str,
    alpha: float = 1.0,
    bias: np.ndarray | None = None,
) -> Reference:
    """alpha * (A @ w) + bias in float64 on w's device, and S = |alpha| sqrt((A*A) @ (w*w)).

    A holds the activations' values (already dtype values), w comes from `dequantize`.
    """
    import torch

    check_dtype(dtype)
    a64 = torch.as_tensor(a, device=w.device).to(torch.float64)
    if a64.ndim != 2 or w.ndim != 2 or a64.shape[1] != w.shape[0]:
        raise UserError(
            f"activations {list(a64.shape)} and weights {list(w.shape)} do not multiply"
        )
    ref = (a64 @ w) * alpha
    if bias is not None:
        b = torch.as_tensor(np.asarray(bias, dtype=np.float64), device=w.device)
        if b.shape != (w.shape[1],):
            raise UserError(f"bias must have shape [{w.shape[1]}], got {list(b.shape)}")
        ref += b
    scale = ((a64 * a64) @ (w * w)).sqrt_() * abs(alpha)
    return Reference(ref, scale, dtype)


# The CUDA-core GEMV's accumulation chains on SM90 (see the module docstring).
GEMV_CHUNK = 32
GEMV_THREADS = 128
# Output columns per pass: bounds the [M, K, columns] temporaries.
_GEMV_COLUMNS = 128


def gemv_chain_scale(
    a: np.ndarray | torch.Tensor,
    q: np.ndarray,
    scales: np.ndarray,
    zeros: np.ndarray | None,
    group_size: int,
    alpha: float = 1.0,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """G [M, N] of the GEMV's error model: the rounded partial sums along its chains."""
    import torch

    q = _check_int4(q)
    k, n = q.shape
    check_problem(k, n, group_size)
    if k % GEMV_CHUNK:
        raise UserError(f"K={k} is not a multiple of the GEMV's chunk of {GEMV_CHUNK}")
    a64 = torch.as_tensor(a, device=device).to(torch.float64)
    m, chunks = a64.shape[0], k // GEMV_CHUNK
    iters = -(-chunks // GEMV_THREADS)
    pad = iters * GEMV_THREADS - chunks
    # valid[i, t]: thread t has a chunk in iteration i
    valid = (torch.arange(iters * GEMV_THREADS, device=device) < chunks).view(iters, GEMV_THREADS)
    s_rows = torch.as_tensor(np.asarray(scales, dtype=np.float64), device=device)
    s_rows = s_rows.repeat_interleave(group_size // GEMV_CHUNK, dim=0)  # [chunks, N]
    z_rows = None
    if zeros is not None:
        z_rows = torch.as_tensor(np.asarray(zeros, dtype=np.float64), device=device)
        z_rows = z_rows.repeat_interleave(group_size // GEMV_CHUNK, dim=0)
    out = torch.empty((m, n), dtype=torch.float64, device=device)
    for c0 in range(0, n, _GEMV_COLUMNS):
        cols = slice(c0, min(n, c0 + _GEMV_COLUMNS))
        qc = torch.as_tensor(q[:, cols], device=device).to(torch.float64)
        width = qc.shape[1]
        s = s_rows[:, cols]  # [chunks, width]
        if z_rows is None:
            prod = (a64[:, :, None] * qc[None]).view(m, chunks, GEMV_CHUNK, width)
            local = prod.cumsum(dim=2)  # rounded chunk partial sums, times s_c below
            total = ((local * s[None, :, None, :]) ** 2).sum(dim=(1, 2))
            sums = local[:, :, -1, :] * s[None]  # [m, chunks, width]
            sums = torch.nn.functional.pad(sums, (0, 0, 0, pad))
            acc = sums.view(m, iters, GEMV_THREADS, width).cumsum(dim=1)
            total += ((acc**2) * valid[None, :, :, None]).sum(dim=(1, 2))
        else:
            w = qc.view(chunks, GEMV_CHUNK, width) * s[:, None, :] + z_rows[:, cols][:, None, :]
            prod = a64.view(m, chunks, GEMV_CHUNK)[..., None] * w[None]  # [m, chunks, 32, w]
            total = (prod**2).sum(dim=(1, 2))  # the rounded weights
            prod = torch.nn.functional.pad(prod, (0, 0, 0, 0, 0, pad))
            chain = prod.view(m, iters, GEMV_THREADS, GEMV_CHUNK, width).permute(0, 2, 1, 3, 4)
            acc = chain.reshape(m, GEMV_THREADS, iters * GEMV_CHUNK, width).cumsum(dim=2)
            mask = valid.t().repeat_interleave(GEMV_CHUNK, dim=1)  # [threads, iters*32]
            total += ((acc**2) * mask[None, :, :, None]).sum(dim=(1, 2))
        out[:, cols] = total.sqrt() * abs(alpha)
    return out


# --- the check -----------------------------------------------------------------------------

WEIGHT_ROUNDING_FACTOR = 5.0  # times u * S
NORMWISE_FACTOR = 4.0  # times u
CHAIN_NORMWISE_FACTOR = 2.0  # times u * ||G||, for the GEMV's chains


def error_bound(reference: Reference) -> torch.Tensor:
    """Per-element tolerance u*|ref| + 5u*S (see the module docstring for why)."""
    u = unit_roundoff(reference.dtype)
    return reference.ref.abs() * u + reference.scale * (WEIGHT_ROUNDING_FACTOR * u)


@dataclass(frozen=True)
class CheckResult:
    """How one output compares with the reference; `passed` is the verdict."""

    elements: int
    nan_count: int  # all NaN outputs, unwritten ones included
    unwritten_count: int  # outputs still holding the poison pattern
    max_violation: float  # max |out - ref| / bound over non-NaN outputs (<= 1 passes)
    worst_index: tuple[int, int] | None
    worst_out: float
    worst_ref: float
    rel_error: float  # ||out - ref|| / ||ref|| over non-NaN outputs
    rel_bound: float

    @property
    def elementwise_ok(self) -> bool:
        return self.nan_count == 0 and self.max_violation <= 1.0

    @property
    def normwise_ok(self) -> bool:
        return self.rel_error <= self.rel_bound

    @property
    def passed(self) -> bool:
        return self.elementwise_ok and self.normwise_ok

    def summary(self) -> str:
        where = ""
        if self.worst_index is not None:
            where = (
                f" at {list(self.worst_index)} (out {self.worst_out:.6g}, ref {self.worst_ref:.6g})"
            )
        return (
            f"{'PASS' if self.passed else 'FAIL'}: max violation {self.max_violation:.3g}{where}, "
            f"normwise rel error {self.rel_error:.3g} (bound {self.rel_bound:.3g}), "
            f"{self.nan_count} NaN ({self.unwritten_count} unwritten) of {self.elements}"
        )


def outputs_from_bits(bits: np.ndarray, dtype: str, device: str | torch.device) -> torch.Tensor:
    """Raw fp16/bf16 patterns -> float64 tensor on `device` (exact)."""
    import torch

    check_dtype(dtype)
    raw = torch.from_numpy(np.ascontiguousarray(bits, dtype=np.uint16).view(np.int16))
    half = raw.view(torch.float16 if dtype == "fp16" else torch.bfloat16)
    return half.to(device=device, dtype=torch.float64)


def check_output(out_bits: np.ndarray, reference: Reference) -> CheckResult:
    """Judge a kernel output given as raw 16-bit patterns [M, N] against the reference.

    NaNs (including never-written, still-poisoned elements) always fail; elements whose
    bound is 0 must match exactly.
    """
    import torch

    bits = np.asarray(out_bits)
    if bits.dtype != np.uint16:
        raise UserError(f"outputs must be raw 16-bit patterns (uint16), got {bits.dtype}")
    if tuple(bits.shape) != tuple(reference.ref.shape):
        raise UserError(
            f"output shape {list(bits.shape)} != reference shape {list(reference.ref.shape)}"
        )
    unwritten = int(np.count_nonzero(bits == POISON_BITS))
    out = outputs_from_bits(bits, reference.dtype, reference.ref.device)
    nan = torch.isnan(out)
    nan_count = int(nan.sum())
    ok = ~nan
    diff = (out - reference.ref).abs()
    bound = error_bound(reference)
    ratio = torch.where(bound > 0, diff / bound, torch.where(diff > 0, math.inf, 0.0))
    ratio = torch.where(ok, ratio, torch.full_like(ratio, -1.0))

    worst_index, worst_out, worst_ref, max_violation = None, math.nan, math.nan, 0.0
    if bool(ok.any()):
        flat = int(torch.argmax(ratio))
        row, col = divmod(flat, bits.shape[1])
        worst_index = (row, col)
        max_violation = float(ratio[row, col])
        worst_out, worst_ref = float(out[row, col]), float(reference.ref[row, col])
    elif nan_count:
        max_violation = math.inf

    err_norm = float(torch.linalg.vector_norm(torch.where(ok, out - reference.ref, 0.0)))
    ref_norm = float(torch.linalg.vector_norm(torch.where(ok, reference.ref, 0.0)))
    rel = err_norm / ref_norm if ref_norm > 0 else (0.0 if err_norm == 0 else math.inf)
    u = unit_roundoff(reference.dtype)
    rel_bound = NORMWISE_FACTOR * u
    if reference.accumulation == "chains" and ref_norm > 0:
        g_norm = float(torch.linalg.vector_norm(reference.scale))
        rel_bound += CHAIN_NORMWISE_FACTOR * u * g_norm / ref_norm
    return CheckResult(
        elements=int(bits.size),
        nan_count=nan_count,
        unwritten_count=unwritten,
        max_violation=max_violation,
        worst_index=worst_index,
        worst_out=worst_out,
        worst_ref=worst_ref,
        rel_error=rel,
        rel_bound=rel_bound,
    )
