"""The stream-K decomposition tool: CUTLASS's own host heuristic, compiled here."""

from __future__ import annotations

from pathlib import Path

import pytest
from w4a16 import paths, sources
from w4a16.errors import UserError
from w4a16.lab import decode_model, streamk_plan


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        nvcc, _ = sources.locate_nvcc(None)
        kernels = sources.locate_kernels(None, paths.cache_dir(), fetch=False)
    except UserError as exc:
        pytest.skip(f"nvcc or the kernel sources are not here: {exc}")
    return streamk_plan.build_tool(nvcc, kernels.cutlass_include, tmp_path_factory.mktemp("t"))


def _run(tool: Path, m: int, n: int, k: int, **kw) -> dict:
    return streamk_plan.decompose(tool, m, n, k, (128, 16, 64), (1, 1), 132, **kw)


def test_every_output_tile_is_covered_once(tool: Path):
    for m, n, k in [(16, 4096, 4096), (16, 10240, 8192), (16, 28672, 8192), (4096, 8192, 8192)]:
        row = _run(tool, m, n, k)
        tiles = -(-n // 128) * -(-m // 16)
        assert row["output_tiles"] == tiles
        assert row["k_tiles_per_output_tile"] == k // 64
        if row["mode"] == "stream_k":
            assert row["sk_tiles"] + row["dp_units"] == tiles and row["sk_units"] > 0
            # The stream-K units share the split tiles' k-tiles (one more for some).
            assert row["k_tiles_per_sk_unit"] * row["sk_units"] <= row["sk_tiles"] * k // 64
        else:
            assert row["sk_units"] == 0 and row["units"] in (tiles, tiles * row["splits"])


def test_half_full_single_wave_runs_data_parallel(tool: Path):
    # 80 tiles on 132 SMs: the tail wave is more than half full, so no K split at all.
    assert _run(tool, 16, 10240, 8192)["mode"] == "data_parallel"
    # 32 tiles: under half a wave, so stream-K spreads K over every SM.
    small = _run(tool, 16, 4096, 8192)
    assert small["mode"] == "stream_k" and small["units"] == 132
    assert streamk_plan.workload(small) == (132, small["k_tiles_per_sk_unit"] + 1)


def test_requested_split_k_and_bad_arguments(tool: Path):
    row = _run(tool, 16, 10240, 8192, splits=2)
    assert (row["mode"], row["splits"]) == ("split_k", 2)
    assert streamk_plan.workload(row) == (132, 2 * 64)  # 160 units: two waves of 64 k-tiles
    with pytest.raises(UserError, match="MODE"):
        _run(tool, 16, 4096, 4096, mode="sideways")
    with pytest.raises(UserError, match="positive"):
        streamk_plan.decompose(tool, 0, 4096, 4096, (128, 16, 64), (1, 1), 132)


def test_fits_by_mode_separate_the_modes(tmp_path: Path):
    tactic = "tile128x16x64_cluster1x1x1_coop"
    plan, problems = {}, []
    for i, (mode, work) in enumerate(
        [
            ("data_parallel", 64),
            ("data_parallel", 128),
            ("data_parallel", 256),
            ("stream_k", 16),
            ("stream_k", 55),
            ("stream_k", 218),
        ]
    ):
        label = f"s{i}"
        row = {
            "sms": 132,
            "mode": mode,
            "output_tiles": 100,
            "k_tiles_per_output_tile": work,
            "units": 100,
            "dp_units": 0,
            "k_tiles_per_sk_unit": work - 1,
            "splits": 1,
        }
        plan[(label, 16, 128, 16, 1, 1)] = row
        fixed = 2.5 if mode == "data_parallel" else 11.5
        problems.append(
            {
                "label": label,
                "m": 16,
                "n": 8192,
                "k": 8192,
                "dtype": "fp16",
                "tactics": [{"tactic": tactic, "status": "ok", "median_us": fixed + 0.25 * work}],
            }
        )
    found = decode_model.fits_by_mode(
        {"device": {"sm_count": 132}, "problems": problems}, plan, [16], "fp16"
    )
    by_work = {f.work: f for f in found}
    assert by_work["busiest_sm_k_tiles[data_parallel]"].fixed_us == pytest.approx(2.5)
    assert by_work["busiest_sm_k_tiles[stream_k]"].fixed_us == pytest.approx(11.5)
    assert all(f.per_kblock_us == pytest.approx(0.25) for f in found)


def test_command_line_refuses_bad_numbers(capsys: pytest.CaptureFixture[str]):
    for argv in (["--sms", "0"], ["--m", "1,-4"]):
        with pytest.raises(SystemExit) as exit_info:
            streamk_plan.main(argv)
        assert exit_info.value.code == 2
        assert "must be positive" in capsys.readouterr().err
    assert streamk_plan.main(["--tiles", "128by16"]) == 2
    assert "unknown tile(s) 128by16" in capsys.readouterr().err
    assert streamk_plan.main(["--tiles", "64x16"]) == 2  # ping-pong: no stream-K scheduler
    assert "no cooperative" in capsys.readouterr().err


def test_tactics_come_from_the_tactic_space():
    names = [t.name for t in streamk_plan.coop_tactics("128x16,128x256")]
    assert names == [
        "tile128x16x64_cluster1x1x1_coop",
        "tile128x16x64_cluster2x1x1_coop",
        "tile128x256x64_cluster1x1x1_coop",
        "tile128x256x64_cluster2x1x1_coop",
        "tile128x256x64_cluster1x2x1_coop",
        "tile128x256x64_cluster2x2x1_coop",
    ]
