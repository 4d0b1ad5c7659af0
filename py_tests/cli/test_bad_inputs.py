"""Bad input gives one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from w4a16 import gpu, paths
from w4a16.cli import main
from w4a16.tactics import Tactic


def _one_line_error(capsys: pytest.CaptureFixture, code: int) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


def test_missing_trtllm_dir(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    line = _one_line_error(capsys, main(["sources", "--trtllm-dir", str(tmp_path / "nope")]))
    assert "does not exist" in line


def test_a_folder_that_is_not_tensorrt_llm(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "cpp").mkdir()
    line = _one_line_error(capsys, main(["sources", "--trtllm-dir", str(tmp_path)]))
    assert "is not a TensorRT-LLM checkout" in line


def test_no_sources_anywhere_names_both_ways(tmp_path: Path, capsys: pytest.CaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from w4a16 import sources

    monkeypatch.setenv("W4A16_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(sources, "_installed_flashinfer", lambda: None)
    monkeypatch.setattr(sources.paths, "SUBMODULE", tmp_path / "no-submodule")
    monkeypatch.setenv("W4A16_TRTLLM_TREE", str(tmp_path / "no-tree"))
    line = _one_line_error(capsys, main(["sources", "--offline"]))
    assert "submodule" in line and "--trtllm-dir" in line and "flashinfer-python" in line


def test_wrong_kernel_slice_is_refused(tmp_path: Path) -> None:
    from w4a16 import sources
    from w4a16.errors import UserError

    (tmp_path / "csrc" / "nv_internal").mkdir(parents=True)
    with pytest.raises(UserError, match="does not hold TensorRT-LLM's SM90 kernel slice"):
        sources._from_flashinfer_data(tmp_path, "flashinfer-cache", "")


def test_missing_nvcc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from w4a16 import sources
    from w4a16.errors import UserError

    with pytest.raises(UserError, match="is not an executable file"):
        sources.locate_nvcc(str(tmp_path / "nvcc"))
    monkeypatch.delenv("CUDACXX", raising=False)
    monkeypatch.setattr(sources.shutil, "which", lambda name: None)
    monkeypatch.setattr(sources, "CUDA_BIN", tmp_path / "no-cuda")
    with pytest.raises(UserError, match="nvcc not found"):
        sources.locate_nvcc(None)


def test_unknown_tile_filter(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    line = _one_line_error(capsys, main(["generate", "--tiles", "96x16", "--out", str(tmp_path)]))
    assert "unknown tile(s) 96x16" in line


def _fake_nvidia_smi(folder: Path, line: str) -> None:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\necho '{line}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_non_sm90_gpu_is_named_in_the_skip_reason(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_nvidia_smi(tmp_path, "NVIDIA A100-SXM4-80GB, 8.0")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    reason = gpu.sm90_reason()
    assert "A100" in reason and "8.0" in reason and "SM90" in reason


def test_sm90_gpu_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_nvidia_smi(tmp_path, "NVIDIA H100 80GB HBM3, 9.0")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert gpu.sm90_reason() == ""


def test_no_gpu_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu.shutil, "which", lambda name: None)
    assert "no NVIDIA GPU" in gpu.sm90_reason()


def _binary() -> Path:
    """The tool built beside the test binary: the command-line modes are its."""
    binary = paths.tool_binary_for(paths.default_binary())
    if not binary.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI builds the tool beside the test binary, but {binary} is missing")
        pytest.skip(f"tool binary {binary} not built")
    return binary


@pytest.mark.skipif(gpu.sm90_reason() == "", reason="an SM90 GPU is present here")
def test_case_mode_without_a_gpu_fails_clearly(tmp_path: Path) -> None:
    from w4a16 import casefiles

    spec = casefiles.CaseSpec(m=4, n=64, k=128, group_size=64, dtype="fp16",
                              quant_op="scale_only")
    casefiles.write_case(tmp_path, casefiles.random_case(spec, seed=1))
    proc = subprocess.run([str(_binary()), f"--w4a16_case={tmp_path}"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: case mode needs an SM90 GPU")


def test_bad_preprocess_arguments_fail_clearly(tmp_path: Path) -> None:
    proc = subprocess.run([str(_binary()), "--w4a16_preprocess=only,two"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "expects IN,OUT,K,N" in proc.stderr
    raw = tmp_path / "w.bin"
    raw.write_bytes(bytes(48 * 8))
    proc = subprocess.run([str(_binary()), f"--w4a16_preprocess={raw},{tmp_path / 'o'},48,8"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "multiple of 32" in proc.stderr


@pytest.mark.parametrize(("spec", "said"), [
    ("1,16", "expects N,K,GROUP,SMS:M,..."),
    ("8192,8192,128:1", "expects four numbers N,K,GROUP,SMS before the colon"),
    ("8192,8192,128,0:1", "expects N, K, GROUP and SMS >= 1, got 0"),
    ("8192,8192,128,132:", "expects token counts M after the colon"),
    ("8192,8192,128,132:1,x", "expects an integer, got 'x'"),
])
def test_bad_default_config_specs_fail_clearly(spec: str, said: str) -> None:
    proc = subprocess.run([str(_binary()), f"--w4a16_default_config={spec}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and said in err[0], err


def test_default_config_mode_answers_each_m_in_order() -> None:
    # Host only. Whatever rule the sources carry (fix 0006 or 0009), one line per M, in order,
    # each naming a tactic whose token extent covers M.
    proc = subprocess.run([str(_binary()), "--w4a16_default_config=28672,8192,128,132:300,1,64"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert [line for line in lines if line.startswith("m=")] == ["m=300", "m=1", "m=64"]
    tactics = [line.removeprefix("tactic=") for line in lines if line.startswith("tactic=")]
    assert [Tactic.from_name(t).tile_n for t in tactics] == [256, 16, 64]


def test_tool_without_a_mode_fails_clearly() -> None:
    proc = subprocess.run([str(_binary())], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no mode given; usage: ")
    assert "--w4a16_case=DIR" in err[0]


def test_workspace_repro_without_the_tool_names_the_missing_file(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    test_binary = tmp_path / paths.TARGET
    test_binary.write_text("")
    line = _one_line_error(capsys, main(["sanitize", str(test_binary), "--workspace-repro",
                                         "16777216"]))
    assert f"tool binary not found: {tmp_path / paths.TOOL_TARGET}" in line


def test_cli_runs_as_a_module_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "w4a16", "sources", "--trtllm-dir",
                           str(tmp_path / "x")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--kernel-fixes", "0099"], "no fix starts with 0099"),
        (["--experiment-patch", "no-such.patch"], "experiment patch no-such.patch does not exist"),
    ],
)
def test_unknown_kernel_fix_or_experiment_patch(flags: list[str], expected: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    code = main(["build", "--no-run", "--offline", "--preset", "ci", "--build-dir",
                 str(tmp_path / "b"), *flags])
    if code != 2 and "kernel sources" not in capsys.readouterr().out:
        pytest.skip("no kernel sources on this machine")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err and expected in err[-1], err
