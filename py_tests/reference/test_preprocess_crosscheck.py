"""The C++ SM90 weight preprocessing must produce exactly `preprocess_sm90`'s bytes.

Runs `w4a16SM90Tool --w4a16_preprocess=IN,OUT,K,N` (the tool built beside the test binary),
which needs no GPU. Skips when the tool is missing, except on CI (CI=true), which always
builds it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from w4a16.reference import preprocess_sm90

from .support import binary_preprocess, tool_or_skip


@pytest.fixture(scope="module")
def binary() -> Path:
    return tool_or_skip()


@pytest.mark.parametrize("n", [8, 64, 4096], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("k", [64, 128, 4096], ids=lambda k: f"k{k}")
def test_binary_matches_python(
    binary: Path, tmp_path: Path, rng: np.random.Generator, k: int, n: int
) -> None:
    q = rng.integers(-8, 8, size=(k, n), dtype=np.int8)
    want = preprocess_sm90(q)
    got = binary_preprocess(binary, q, tmp_path)
    assert got.size == want.size, f"tool wrote {got.size} bytes, expected {want.size}"
    mismatch = np.flatnonzero(got != want)
    if mismatch.size:
        first = int(mismatch[0])
        col, byte = divmod(first, k // 2)
        pytest.fail(
            f"{mismatch.size} of {want.size} bytes differ; first at byte {first} (column {col}, "
            f"K elements {2 * byte}-{2 * byte + 1}): tool {got[first]:#04x}, "
            f"python {want[first]:#04x}"
        )
