"""`w4a16 bench` argument handling: registration, selections, presets, refusals."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from w4a16.bench import binary, command, shapes
from w4a16.bench.problem import Problem
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
    assert s.sampling.budget_ms == 5.0 and s.binary == Path("/x/b")


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


@pytest.mark.parametrize("value, message", [("-1", "must be zero or more"),
                                            ("nan", "not a finite number")])
def test_settle_time_may_be_zero_but_not_negative(capsys, value, message):
    assert command.settings_from_args(parse("--settle-ms", "0")).sampling.settle_ms == 0
    assert command.settings_from_args(parse("--settle-ms", "800")).sampling.settle_ms == 800
    with pytest.raises(SystemExit):
        parse("--settle-ms", value)
    assert message in capsys.readouterr().err


def test_every_preset_is_in_the_one_table():
    by_label = {x.label: (x.n, x.k) for x in shapes.shapes(shapes.MODELS)}
    # (heads + 2 kv heads) x head_dim, hidden | hidden | intermediate, hidden | hidden, inter.
    assert [by_label[f"llama3-70b/{x}"] for x in shapes.LAYERS] == [
        (10240, 8192), (8192, 8192), (28672, 8192), (8192, 28672)]
    assert [by_label[f"qwen2.5-7b/{x}"] for x in shapes.LAYERS] == [
        (4608, 3584), (3584, 3584), (18944, 3584), (3584, 18944)]
    assert [by_label[f"qwen2.5-72b/{x}"] for x in shapes.LAYERS] == [
        (10240, 8192), (8192, 8192), (29568, 8192), (8192, 29568)]
    s = command.settings_from_args(parse("--models", "all"))
    assert len(s.shapes) == 4 * len(shapes.MODELS) == 20
    for group in (64, 128):  # every preset runs at both group sizes
        shapes.check_shapes(s.shapes, group)


def test_shape_alone_replaces_the_presets_and_adds_to_named_models():
    s = command.settings_from_args(parse("--shape", "4096,4096", "--shape", " 8, 128 ",
                                         "--shape", "4096,4096"))
    assert [(x.label, x.n, x.k) for x in s.shapes] == [
        ("custom/n4096_k4096", 4096, 4096), ("custom/n8_k128", 8, 128)]
    s = command.settings_from_args(parse("--models", "qwen2.5-7b", "--layers", "o",
                                         "--shape", "1024,2048"))
    assert [x.label for x in s.shapes] == ["qwen2.5-7b/o", "custom/n1024_k2048"]
    assert s.to_json()["shape_sizes"]["custom/n1024_k2048"] == [1024, 2048]


def test_quant_op_and_group_reach_the_binary_command():
    s = command.settings_from_args(parse("--shape", "4096,4032", "--group", "64",
                                         "--quant-op", "scale_zeros"))
    assert (s.group, s.quant) == (64, "scale_zeros")
    cmd = binary.command(Path("b"), [Problem.of(s.shapes[0], 1, "fp16", s.group, s.quant)],
                         binary.RunOptions(s.sampling))
    assert cmd[cmd.index("--group") + 1] == "64"
    assert cmd[cmd.index("--quant") + 1] == "scale_zeros"
    assert cmd[cmd.index("--n") + 1] == "4096" and cmd[cmd.index("--k") + 1] == "4032"


@pytest.mark.parametrize("argv, message", [
    (("--shape", "4096"), "--shape expects N,K"),
    (("--shape", "4096,4096,1"), "--shape expects N,K"),
    (("--shape", "a,b"), "--shape expects N,K"),
    (("--shape", "0,4096"), "two positive integers"),
    (("--shape", "4100,4096"), r"custom/n4100_k4096 \(N=4100, K=4096\): N=4100 is not a "
     "positive multiple of 8"),
    (("--shape", "4096,4032"), "K=4032 is not a positive multiple of the group size 128"),
    (("--group", "96"), "--group 96 is not a positive multiple of 64"),
    (("--group", "0"), "--group 0 is not a positive multiple of 64"),
    (("--models", "qwen2.5-7b", "--group", "1024"), r"qwen2.5-7b/qkv .*K=3584 is not"),
    (("--gpus", "0,x"), "--gpus expects comma-separated GPU indices"),
    (("--gpus", "1,1"), "names a GPU twice"),
])
def test_bad_shapes_groups_and_gpus_are_one_line_errors(argv, message):
    with pytest.raises(UserError, match=message) as info:
        command.settings_from_args(parse(*argv))
    assert "\n" not in str(info.value)


def test_quant_op_is_checked_by_argparse(capsys):
    with pytest.raises(SystemExit):
        parse("--quant-op", "zeros_only")
    assert "invalid choice" in capsys.readouterr().err


def test_help_explains_every_new_flag(capsys):
    with pytest.raises(SystemExit):
        command.main(["--help"])
    text = capsys.readouterr().out
    for flag in ("--shape N,K", "--quant-op", "--group", "--gpus", "--models"):
        assert flag in text, flag
