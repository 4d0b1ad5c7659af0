"""The SM90 weight layout: packing, the row permutation, the nibble order, the inverse."""

from __future__ import annotations

import numpy as np
import pytest
from w4a16.errors import UserError
from w4a16.reference import (
    NIBBLE_ORDER,
    ROW_PERMUTATION,
    pack_int4,
    preprocess_sm90,
    unpack_int4,
    unpreprocess_sm90,
)

# The layout as the facts state it, written independently of the library: one element at a
# time, no shared helpers, so a slip in the vectorised version cannot hide in both.
FACT_PERMUTATION = [0, 1, 8, 9, 16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27,
                    4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31]  # fmt: skip
FACT_WORD_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]


def literal_preprocess(q: np.ndarray) -> bytes:
    k, n = q.shape
    permuted = [[0] * n for _ in range(k)]
    for base in range(0, k, 32):
        for i in range(32):
            for col in range(n):
                permuted[base + i][col] = int(q[base + FACT_PERMUTATION[i], col])
    out = bytearray()
    for col in range(n):
        column = [permuted[row][col] for row in range(k)]
        for start in range(0, k, 8):
            e = column[start : start + 8]
            word = 0
            for pos, elem in enumerate(FACT_WORD_ORDER):
                word |= ((e[elem] + 8) & 0xF) << (4 * pos)
            out += word.to_bytes(4, "little")
    return bytes(out)


def random_int4(rng: np.random.Generator, k: int, n: int) -> np.ndarray:
    return rng.integers(-8, 8, size=(k, n), dtype=np.int8)


def test_permutations_are_bijections() -> None:
    assert sorted(ROW_PERMUTATION) == list(range(32))
    assert sorted(NIBBLE_ORDER) == list(range(8))
    assert list(ROW_PERMUTATION) == FACT_PERMUTATION
    assert list(NIBBLE_ORDER) == FACT_WORD_ORDER


def test_pack_is_low_nibble_first(rng: np.random.Generator) -> None:
    assert pack_int4(np.array([1, 2], dtype=np.uint8)).tolist() == [0x21]
    assert pack_int4(np.array([0xF, 0x0, 0x3, 0xC], dtype=np.uint8)).tolist() == [0x0F, 0xC3]
    nib = rng.integers(0, 16, size=(3, 10), dtype=np.uint8)
    assert np.array_equal(unpack_int4(pack_int4(nib)), nib)


def test_pack_rejects_odd_count_and_wide_values() -> None:
    with pytest.raises(UserError, match="odd"):
        pack_int4(np.zeros(3, dtype=np.uint8))
    with pytest.raises(UserError, match=r"\[0, 15\]"):
        pack_int4(np.array([16, 0], dtype=np.uint8))


def test_first_word_by_hand() -> None:
    # Rows 0,1,8,9,16,17,24,25 become rows 0..7; give them -8..-1 in column 0. Biased, these
    # are nibbles 0..7, stored from the low end as 0,2,4,6,1,3,5,7: word 0x75316420.
    q = np.zeros((64, 8), dtype=np.int8)
    q[[0, 1, 8, 9, 16, 17, 24, 25], 0] = np.arange(-8, 0)
    packed = preprocess_sm90(q)
    assert packed[:4].tolist() == [0x20, 0x64, 0x31, 0x75]
    assert packed[4:32].tolist() == [0x88] * 28  # the rest of column 0 is zeros, biased
    assert packed.size == 64 * 8 // 2 and packed.dtype == np.uint8


@pytest.mark.parametrize(("k", "n"), [(64, 8), (128, 24), (192, 16)])
def test_matches_literal_statement(rng: np.random.Generator, k: int, n: int) -> None:
    q = random_int4(rng, k, n)
    assert preprocess_sm90(q).tobytes() == literal_preprocess(q)


@pytest.mark.parametrize(("k", "n"), [(64, 8), (256, 40), (4096, 64), (1024, 1000)])
def test_round_trip(rng: np.random.Generator, k: int, n: int) -> None:
    q = random_int4(rng, k, n)
    packed = preprocess_sm90(q)
    assert packed.size == k * n // 2
    assert np.array_equal(unpreprocess_sm90(packed, k, n), q)
    assert np.array_equal(unpreprocess_sm90(packed.tobytes(), k, n), q)


def test_round_trip_structured_patterns() -> None:
    # Constant fills catch a wrong bias (every value must come back, -8 and 7 included); the
    # ramp catches positions that are dropped or duplicated in a regular way.
    k, n = 128, 8
    for value in range(-8, 8):
        q = np.full((k, n), value, dtype=np.int8)
        assert np.array_equal(unpreprocess_sm90(preprocess_sm90(q), k, n), q)
    q = ((np.arange(k * n).reshape(k, n) % 16) - 8).astype(np.int8)
    assert np.array_equal(unpreprocess_sm90(preprocess_sm90(q), k, n), q)


@pytest.mark.parametrize(
    ("q", "match"),
    [
        (np.zeros((32, 8), dtype=np.int8), "K=32"),
        (np.zeros((64, 12), dtype=np.int8), "N=12"),
        (np.zeros(64, dtype=np.int8), "2-D"),
        (np.full((64, 8), 8, dtype=np.int8), r"\[-8, 7\]"),
        (np.full((64, 8), -9, dtype=np.int16), r"\[-8, 7\]"),
        (np.zeros((64, 8), dtype=np.float32), "integers"),
    ],
    ids=["k32", "n12", "1d", "too_big", "too_small", "float"],
)
def test_preprocess_rejects_bad_input(q: np.ndarray, match: str) -> None:
    with pytest.raises(UserError, match=match):
        preprocess_sm90(q)


def test_unpreprocess_rejects_wrong_size() -> None:
    with pytest.raises(UserError, match="expected 256 bytes"):
        unpreprocess_sm90(np.zeros(255, dtype=np.uint8), 64, 8)
