"""`w4a16 bench --gpus`: jobs spread over several (fake) GPUs, each binary pinned to one with
CUDA_VISIBLE_DEVICES, and the merged result equal to a one-GPU run's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from w4a16.bench import command, gpus, torch_baselines
from w4a16.errors import UserError

SELECTION = ["--models", "llama3-8b", "--layers", "qkv,down", "--m", "1,64",
             "--dtypes", "fp16,bf16"]
JOBS = ["llama3-8b/qkv fp16", "llama3-8b/down fp16", "llama3-8b/qkv bf16",
        "llama3-8b/down bf16"]


def sweep(binary: Path, out: Path, *extra: str) -> tuple[int, dict]:
    code = command.main(["--binary", str(binary), "--out", str(out), *SELECTION, *extra])
    return code, json.loads((out / "bench.json").read_text())


def device_records(out: Path) -> list[dict]:
    return [r for r in map(json.loads, (out / "bench_records.jsonl").read_text().splitlines())
            if r["record"] == "device"]


@pytest.mark.parametrize("fail_at", [None, 64])
def test_two_gpus_share_the_jobs_and_merge_like_one(tmp_path, fake_binary, fake_torch,
                                                    monkeypatch, capsys, fail_at):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setenv("FAKE_BENCH_SLEEP", "0.2")  # jobs overlap, so both GPUs get some
    if fail_at:
        monkeypatch.setenv("FAKE_BENCH_FAIL_AT", str(fail_at))
    code1, one = sweep(fake_binary, tmp_path / "one")
    capsys.readouterr()
    code2, two = sweep(fake_binary, tmp_path / "two", "--gpus", "0,1")
    text = capsys.readouterr().out
    assert code1 == code2 == (1 if fail_at else 0)

    # The merged document is the one-GPU document: same problems, same order, same errors.
    assert two["problems"] == one["problems"]
    # (the messages name each run's own log file)
    assert [e["job"] for e in two["errors"]] == [e["job"] for e in one["errors"]] == (
        JOBS if fail_at else [])
    assert all("exited with 3" in e["message"] for e in two["errors"])
    assert [p["m"] for p in two["problems"]][:2] == [1, 64]
    assert [j["job"] for j in two["jobs"]] == [j["job"] for j in one["jobs"]] == JOBS

    # Both GPUs got work; each job says where it ran, and its binary saw only that GPU.
    used = {j["gpu"] for j in two["jobs"]}
    assert used == {0, 1}
    for job in two["jobs"]:
        assert job["cuda_visible_devices"] == str(job["gpu"])
        assert job["status"] == ("error" if fail_at else "ok") and job["device"] == "Fake H100"
    assert sorted(r["visible_devices"] for r in device_records(tmp_path / "two")) == sorted(
        str(j["gpu"]) for j in two["jobs"])
    assert all(j["gpu"] is None and j["cuda_visible_devices"] is None for j in one["jobs"])
    assert {r["visible_devices"] for r in device_records(tmp_path / "one")} == {None}
    assert two["settings"]["gpus"] == [0, 1] and one["settings"]["gpus"] == []

    # The baselines ran on the job's GPU (torch's device index), one log per GPU.
    assert set(fake_torch.devices) == {None, 0, 1}
    for g in (0, 1):
        assert "$ CUDA_VISIBLE_DEVICES=" + str(g) in (
            tmp_path / "two" / f"bench_binary_gpu{g}.log").read_text()
    assert not (tmp_path / "two" / "bench_binary.log").exists()
    # Progress: a line per job start and end, naming the GPU.
    for g in (0, 1):
        assert f"gpu {g}: llama3-8b/" in text
    assert text.count(" in ") >= 4 and "4 jobs over GPUs 0, 1" in text


def test_one_named_gpu_pins_the_binary_through_the_visible_list(tmp_path, fake_binary,
                                                                fake_torch, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    code, doc = sweep(fake_binary, tmp_path / "out", "--gpus", "1")
    assert code == 0
    assert {r["visible_devices"] for r in device_records(tmp_path / "out")} == {"7"}
    assert {(j["gpu"], j["cuda_visible_devices"]) for j in doc["jobs"]} == {(1, "7")}
    assert (tmp_path / "out" / "bench_binary.log").is_file()


def test_time_limit_with_several_gpus_names_what_was_not_run(tmp_path, fake_binary,
                                                             fake_torch):
    code, doc = sweep(fake_binary, tmp_path / "out", "--gpus", "0,1", "--time-limit",
                      "0.000001")
    assert code == 1 and doc["problems"] == []
    [error] = doc["errors"]
    assert error["job"] == "time limit"
    assert error["message"].endswith("not run: " + ", ".join(JOBS))
    assert {j["status"] for j in doc["jobs"]} == {"not run"}


def test_gpu_lists(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    assert gpus.parse("all") == (0, 1)
    assert gpus.parse("1, 0") == (1, 0)
    assert gpus.job_env(1) == {"CUDA_VISIBLE_DEVICES": "7"}
    with pytest.raises(UserError, match=r"only 2 GPU\(s\) visible"):
        gpus.parse("2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(UserError, match="no GPU visible"):
        gpus.parse("all")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setattr(gpus.gpu, "gpus", lambda: [("H200", "9.0")] * 3)
    assert gpus.parse("all") == (0, 1, 2) and gpus.job_env(2) == {"CUDA_VISIBLE_DEVICES": "2"}
    for bad in ("-1", "", "0,0", "one"):
        with pytest.raises(UserError):
            gpus.parse(bad)


def test_an_unexpected_failure_on_one_gpu_stops_the_run_with_that_error(
        tmp_path, fake_binary, fake_torch, monkeypatch):
    """A bug in a worker thread is not swallowed: the run stops, as it would on one GPU."""

    def broken(*args, **kwargs):
        raise RuntimeError("planted bug")

    monkeypatch.setattr(torch_baselines, "time_cublas", broken)
    with pytest.raises(RuntimeError, match="planted bug"):
        command.main(["--binary", str(fake_binary), "--out", str(tmp_path), *SELECTION,
                      "--gpus", "0,1"])
