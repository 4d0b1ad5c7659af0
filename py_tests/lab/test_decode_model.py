"""The decode-size time model: fitting, work counts, and bad input."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from w4a16.lab import decode_model

PINGPONG = "tile64x16x64_cluster1x1x1_pingpong"
COOP = "tile128x16x64_cluster1x1x1_coop"
SHAPES = [(4096, 4096), (6144, 4096), (14336, 4096), (8192, 8192), (28672, 8192), (4096, 14336)]


def _bench(times, sms: int | None = 132, ms=(1, 16)) -> dict:
    problems = []
    for m in ms:
        for n, k in SHAPES:
            tactics = [
                {"tactic": name, "status": "ok", "median_us": fn(m, n, k), "config_index": i}
                for i, (name, fn) in enumerate(times.items())
            ]
            tactics.append({"tactic": COOP, "status": "error", "median_us": None,
                            "config_index": 9})
            problems.append({"label": f"s{n}x{k}", "m": m, "n": n, "k": k, "group": 128,
                             "dtype": "fp16", "tactics": tactics})
    return {"device": {"sm_count": sms} if sms else {}, "problems": problems}


def test_fit_recovers_a_planted_line_and_prefers_the_right_work_count():
    rng = random.Random(7)
    fixed, per = rng.uniform(2, 12), rng.uniform(0.1, 0.4)

    def waves(m, n, k):  # data-parallel: ceil(tiles / SMs) waves, each walking all of K
        return fixed + per * ((n // 64 + 131) // 132) * (k // 64)

    fits = decode_model.fits(_bench({PINGPONG: waves}), [1, 16], "fp16")
    best = fits[0]
    assert (best.tactic, best.work, best.rows) == (PINGPONG, "waves_x_kblocks", 12)
    assert best.fixed_us == pytest.approx(fixed, rel=1e-9)
    assert best.per_kblock_us == pytest.approx(per, rel=1e-9)
    assert best.r2 == pytest.approx(1.0) and best.worst_residual < 1e-9
    other = next(f for f in fits if f.work == "kblocks_per_sm")
    assert other.r2 < best.r2 and other.worst_residual > 0.01
    # The failed coop tactic has no timed rows, so it is not fitted.
    assert {f.tactic for f in fits} == {PINGPONG}


def test_rows_count_tiles_along_n_and_m_and_bytes_per_kblock():
    bench = _bench({COOP: lambda m, n, k: 1.0 + n * k * 1e-9}, ms=(16, 64))
    rows = decode_model.rows_of(bench["problems"], [64], "fp16", None)[COOP]
    first = rows[0]
    assert (first.n, first.tiles, first.kblocks) == (4096, 32 * 4, 64)
    # 128x64 int4 weights and half a group's 128 fp16 scales (activations come from L2).
    assert first.kblock_bytes == 128 * 64 // 2 + 128 * 2 // 2


def test_command_line_writes_both_files(tmp_path: Path):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(_bench({PINGPONG: lambda m, n, k: 4 + 0.2 * k / 64})))
    assert decode_model.main([str(bench), "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "decode_model.json").read_text())
    assert data["m"] == [1, 16] and data["fits"][0]["tactic"] == PINGPONG
    assert "| tactic | work |" in (tmp_path / "out" / "decode_model.md").read_text()


def test_command_line_reads_a_gzip_compressed_bench_json(tmp_path: Path):
    text = json.dumps(_bench({PINGPONG: lambda m, n, k: 4 + 0.2 * k / 64}))
    (tmp_path / "bench.json").write_text(text)
    (tmp_path / "bench.json.gz").write_bytes(gzip.compress(text.encode()))
    assert decode_model.main([str(tmp_path / "bench.json"), "--out", str(tmp_path / "a")]) == 0
    assert decode_model.main([str(tmp_path / "bench.json.gz"), "--out", str(tmp_path / "b")]) == 0
    assert ((tmp_path / "a" / "decode_model.md").read_text()
            .replace(str(tmp_path / "bench.json"), "SRC")
            == (tmp_path / "b" / "decode_model.md").read_text()
            .replace(str(tmp_path / "bench.json.gz"), "SRC"))


def test_bad_input_is_a_message_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(_bench({PINGPONG: lambda m, n, k: 5.0}, sms=None)))
    assert decode_model.main([str(bench)]) == 2
    assert "SM count" in capsys.readouterr().err
    assert decode_model.main([str(tmp_path / "missing.json")]) == 2
    bench.write_text(json.dumps(_bench({PINGPONG: lambda m, n, k: 5.0})))
    assert decode_model.main([str(bench), "--m", "4096"]) == 2
    assert "no tactic" in capsys.readouterr().err


def test_split_k_projection_fills_one_wave_and_stops_at_the_wave_edge():
    fitted = decode_model.Fit(PINGPONG, "waves_x_kblocks", 12, 4.0, 0.2, 1.0, 0.0, 1.0)
    rows = [
        decode_model.Row("small", 16, 4096, 4096, 15.0, 64, 64, 2112),  # 64 CTAs: split 2 fits
        decode_model.Row("wide", 16, 8192, 8192, 26.0, 128, 128, 2112),  # one wave already
    ]
    small, wide = decode_model.project_split_k(fitted, rows, sms=132)
    assert (small.splits, small.projected_us) == (2, pytest.approx(4.0 + 0.2 * 32))
    assert (wide.splits, wide.projected_us) == (1, pytest.approx(4.0 + 0.2 * 128))
    with pytest.raises(ValueError):
        decode_model.project_split_k(
            decode_model.Fit(COOP, "kblocks_per_sm", 12, 1, 1, 1, 0, 1), rows, 132
        )


def test_command_line_projection_needs_a_fitted_tactic(tmp_path: Path):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(_bench({PINGPONG: lambda m, n, k: 4 + 0.2 * k / 64})))
    out = tmp_path / "out"
    assert decode_model.main([str(bench), "--project", PINGPONG, "--out", str(out)]) == 0
    data = json.loads((out / "decode_model.json").read_text())
    assert len(data["split_k_projection"]) == len(SHAPES)
    assert decode_model.main([str(bench), "--project", COOP]) == 2
