"""Fixtures for the patch tests: test sources, a generated series, a fake tree, the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from patch_helpers import MAIN_TEST, make_tree, write
from w4a16 import cli
from w4a16.patches import series


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Our git calls and the tool's see the same small config, not the user's."""
    cfg = tmp_path_factory.mktemp("gitcfg") / "config"
    cfg.write_text("[user]\n\tname = Test\n\temail = test@example.invalid\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(cfg))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def cpp_tests(tmp_path: Path) -> Path:
    """Test sources: a main file, a helper, a helper's helper, and a file nobody includes."""
    src = tmp_path / "cpp_tests"
    write(
        src / MAIN_TEST,
        "#include <gtest/gtest.h>\n"
        '#include "tensorrt_llm/common/cudaUtils.h"\n'
        '#include "w4a16_helper.h"\n'
        "TEST(W4A16, Made) { EXPECT_EQ(helper(), 1); }\n",
    )
    write(
        src / "w4a16_helper.h", '#pragma once\n  #  include "w4a16_inner.h"\ninline int helper();\n'
    )
    # No newline at the end, and a CRLF line: both must survive byte for byte.
    write(src / "w4a16_inner.h", "#pragma once\r\n// inner")
    write(src / "w4a16_unused.h", "// not included\n")
    return src


@pytest.fixture
def patch_dir(tmp_path: Path, cpp_tests: Path) -> Path:
    out = tmp_path / "patches"
    series.write(series.generate(cpp_tests, kernel_dir=None), out)
    return out


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "trtllm")


@pytest.fixture
def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run `w4a16 ARGS...` with only our command registered; returns (code, out, err)."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("w4a16.patches.command",))

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
