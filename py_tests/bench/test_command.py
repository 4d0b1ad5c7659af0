"""`w4a16 bench` argument handling: registration, selections, presets, refusals."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from w4a16.bench import command, shapes
from w4a16.errors import UserError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    command.add_command(sub)
    return parser.parse_args(["bench", *argv])


def test_registers_bench_and_defaults_to_the_full_sweep():
    args = parse()
    assert args.func is command._cmd_bench
    s = command.settings_from_args(args)
    assert [x.label for x in s.shapes] == [
        "llama3-8b/qkv", "llama3-8b/o", "llama3-8b/gate_up", "llama3-8b/down",
        "llama2-70b/qkv", "llama2-70b/o", "llama2-70b/gate_up", "llama2-70b/down"]
    assert s.ms == (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
    assert s.dtypes == ("fp16", "bf16") and s.group == 128 and s.quant == "scale_only"
    assert s.int4pack and s.tactics == "all"
    assert s.binary.name == "w4a16SM90Bench" and s.out_dir == Path("reports/bench")


def test_llama_shapes_are_the_published_ones():
    by_label = {x.label: (x.n, x.k) for x in shapes.shapes()}
    assert by_label["llama3-8b/qkv"] == (6144, 4096)
    assert by_label["llama3-8b/gate_up"] == (14336, 4096)
    assert by_label["llama3-8b/down"] == (4096, 14336)
    assert by_label["llama2-70b/qkv"] == (10240, 8192)
    assert by_label["llama2-70b/gate_up"] == (28672, 8192)
    assert by_label["llama2-70b/down"] == (8192, 28672)


def test_restricting_flags():
    s = command.settings_from_args(parse("--models", "llama2-70b", "--layers", "down,o",
                                         "--m", "1,8", "--dtypes", "bf16", "--budget-ms", "5",
                                         "--no-int4pack", "--binary", "/x/b"))
    assert [x.label for x in s.shapes] == ["llama2-70b/o", "llama2-70b/down"]
    assert s.ms == (1, 8) and s.dtypes == ("bf16",) and not s.int4pack
    assert s.plan.budget_ms == 5.0 and s.binary == Path("/x/b")


def test_quick_overrides_the_selection():
    s = command.settings_from_args(parse("--quick", "--models", "llama2-70b"))
    assert [x.label for x in s.shapes] == ["llama3-8b/qkv", "llama3-8b/down"]
    assert s.ms == (1, 16, 256, 4096) and s.dtypes == ("fp16",)


@pytest.mark.parametrize("argv, message", [
    (("--models", "gpt2"), "unknown model gpt2"),
    (("--layers", "qkv,mlp"), "unknown layer mlp"),
    (("--dtypes", "fp8"), "unknown dtype fp8"),
    (("--m", "1,0"), "positive"),
    (("--m", "a"), "comma-separated integers"),
    (("--min-samples", "50", "--max-samples", "10"), "--min-samples"),
])
def test_bad_selections_are_user_errors(argv, message):
    with pytest.raises(UserError, match=message):
        command.settings_from_args(parse(*argv))


def test_nonpositive_numbers_are_refused_by_argparse(capsys):
    with pytest.raises(SystemExit):
        parse("--budget-ms", "0")
    assert "must be positive" in capsys.readouterr().err
