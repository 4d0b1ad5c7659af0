"""A CPU (or CUDA) emulator of the kernel's arithmetic, used to test the error model.

It takes the weights as the kernel does (SM90-preprocessed bytes) and rounds the way the
facts say the kernel rounds: int4 -> dtype exactly, times the scale rounded to the dtype,
plus the zero rounded again, fp32 accumulation, alpha and bias in fp32, output rounded.
Each fp32-then-dtype step equals one correctly rounded dtype operation, because fp32 has
more than 2p+2 bits for both dtypes (so double rounding is harmless).
"""

from __future__ import annotations

import numpy as np
import torch
from w4a16.reference import from_bits, unpreprocess_sm90

TORCH_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def _expand(bits: np.ndarray, dtype: str, group_size: int, device: str) -> torch.Tensor:
    values = torch.from_numpy(from_bits(bits, dtype)).to(device)
    return values.repeat_interleave(group_size, dim=0)


def emulate_kernel(
    activations: np.ndarray,
    packed_weights: np.ndarray,
    scales: np.ndarray,
    zeros: np.ndarray | None,
    bias: np.ndarray | None,
    *,
    k: int,
    n: int,
    group_size: int,
    dtype: str,
    alpha: float = 1.0,
    device: str = "cpu",
) -> np.ndarray:
    """Raw 16-bit output [M, N]; every array argument is in the binary's on-disk form."""
    tdt = TORCH_DTYPES[dtype]
    q = torch.from_numpy(unpreprocess_sm90(packed_weights, k, n)).to(device)
    w = (q.to(torch.float32) * _expand(scales, dtype, group_size, device)).to(tdt)
    if zeros is not None:
        w = (w.to(torch.float32) + _expand(zeros, dtype, group_size, device)).to(tdt)
    a = torch.from_numpy(from_bits(activations, dtype)).to(device)
    acc = a @ w.to(torch.float32)
    acc = acc * float(np.float32(alpha))  # a Python scalar takes the tensor's dtype (fp32)
    if bias is not None:
        acc = acc + torch.from_numpy(from_bits(bias, dtype)).to(device)
    out = acc.to(tdt).view(torch.int16).cpu().numpy()
    return out.view(np.uint16)


def emulate_gemv(
    activations: np.ndarray,
    q: np.ndarray,
    scales: np.ndarray,
    zeros: np.ndarray | None,
    bias: np.ndarray | None,
    *,
    group_size: int,
    dtype: str,
    alpha: float = 1.0,
    chunk: int = 32,
    threads: int = 128,
) -> np.ndarray:
    """Raw 16-bit output [M, N] of TensorRT-LLM's CUDA-core GEMV as its SM90 code rounds:
    chunk c of `chunk` consecutive k on thread c % threads; every fused multiply-add rounded
    once to the dtype (computed exactly in float64, then rounded); the per-thread results
    summed in float, alpha and bias in float, the output rounded. Weights as int8 [K, N]."""
    tdt = TORCH_DTYPES[dtype]

    def rnd(x: torch.Tensor) -> torch.Tensor:
        return x.to(tdt).to(torch.float64)

    a = torch.from_numpy(from_bits(activations, dtype)).to(torch.float64)  # [M, K]
    qv = torch.from_numpy(np.asarray(q, dtype=np.float64))  # [K, N]
    k, n = qv.shape
    s = torch.from_numpy(from_bits(scales, dtype)).to(torch.float64).repeat_interleave(
        group_size, dim=0)
    if zeros is not None:
        z = torch.from_numpy(from_bits(zeros, dtype)).to(torch.float64).repeat_interleave(
            group_size, dim=0)
        w = rnd(qv * s + z)
    m, chunks = a.shape[0], k // chunk
    acc = torch.zeros((m, threads, n), dtype=torch.float64)
    for first in range(0, chunks, threads):
        ids = torch.arange(first, min(first + threads, chunks))  # this iteration's chunks
        t = ids - first
        local = torch.zeros((m, len(ids), n), dtype=torch.float64)
        for j in range(chunk):
            kk = ids * chunk + j
            if zeros is None:
                local = rnd(local + a[:, kk, None] * qv[kk][None])
            else:
                acc[:, t] = rnd(acc[:, t] + a[:, kk, None] * w[kk][None])
        if zeros is None:
            acc[:, t] = rnd(acc[:, t] + local * s[ids * chunk][None])
    out = acc.to(torch.float32).sum(dim=1) * float(np.float32(alpha))
    if bias is not None:
        out = out + torch.from_numpy(from_bits(bias, dtype))
    return out.to(tdt).view(torch.int16).numpy().view(np.uint16)
