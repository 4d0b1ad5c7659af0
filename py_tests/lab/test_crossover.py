"""The crossover table and the held-out pricing of selection rules, on made-up records."""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from w4a16.errors import UserError
from w4a16.lab import crossover
from w4a16.tactics import GEMV_TACTIC

A = "tile128x16x64_cluster1x1x1_coop"
B = "tile64x16x64_cluster1x1x1_pingpong"


def write(path: Path, label: str, times: dict[int, dict[str, float]],
          shape: tuple[int, int, int] = (1024, 512, 128), sm_count: int = 132) -> Path:
    """Records as the bench binary writes them: the device, then per M the problem and each
    tactic's time on the weight shape (N, K, group)."""
    n, k, group = shape
    lines: list[dict] = [{"record": "device", "sm_count": sm_count}]
    for m, by_tactic in times.items():
        default = GEMV_TACTIC if m < 5 and GEMV_TACTIC in by_tactic else B
        lines.append({"record": "problem", "label": label, "m": m, "default_tactic": default})
        for tactic, us in by_tactic.items():
            lines.append({"record": "tactic", "label": label, "m": m, "n": n, "k": k,
                          "group": group, "tactic": tactic, "status": "ok", "median_us": us})
        lines.append({"record": "tactic", "label": label, "m": m, "tactic": "broken",
                      "status": "error"})
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return path


def shape(gemv_per_m: float, tmp: Path, label: str) -> Path:
    """The GEMV grows with M, A is flat and the fastest CUTLASS, B (config 0) flat and slower."""
    return write(tmp / f"{label.replace('/', '_')}.jsonl", label, {
        m: {GEMV_TACTIC: gemv_per_m * m, A: 10.0, B: 15.0} for m in (1, 2, 4, 8, 16)
        if m < 16} | {16: {A: 10.0, B: 15.0}})


def test_table_names_the_faster_and_the_crossover(tmp_path: Path) -> None:
    rows = crossover.read_rows([shape(3.0, tmp_path, "s/one")])
    text = crossover.table(rows)
    assert "| s/one | 1 | 3.0 | " + A + " | 10.0 | GEMV 3.33x | " + GEMV_TACTIC + " | 0% |" in text
    assert "| s/one | 8 | 24.0 | " + A + " | 10.0 | CUTLASS 2.40x | " + B + " | 50% |" in text
    assert "- s/one: M <= 2" in text  # 3.0 * 4 = 12 > 10


def test_held_out_rule_learns_from_the_other_shapes_only(tmp_path: Path) -> None:
    files = [shape(3.0, tmp_path, "s/a"), shape(3.0, tmp_path, "s/b"),
             shape(1.0, tmp_path, "s/c")]
    rows = crossover.read_rows(files)
    text = crossover.held_out(rows)
    # s/a held out: on s/b (GEMV 3.0 us per token) and s/c (1.0) the least total loss is the
    # GEMV up to M = 4 (s/b loses 20% there, s/c would lose 150% at M = 4 with T = 2), and A
    # above it: on s/a only M = 4 loses (12 us against 10), where the default also takes the
    # GEMV and then loses 50% to config 0 at M = 8 and 16.
    assert "| s/a | 4 | 20% / 50% | 0% / 20% |" in text
    # s/c held out: s/a and s/b teach T = 2, which gives away M = 4 (GEMV 4 us, A 10 us).
    assert "| s/c | 2 | 0% / 88% | 0% / 150% |" in text
    assert "Over all 15 rows" in text


def test_one_shape_cannot_be_held_out(tmp_path: Path) -> None:
    rows = crossover.read_rows([shape(3.0, tmp_path, "s/one")])
    assert "needs at least two shapes" in crossover.held_out(rows)


def test_bad_records_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(UserError, match="bad.jsonl:1: not a JSON record"):
        crossover.read_rows([bad])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(UserError, match="no timed CUTLASS tactic"):
        crossover.read_rows([empty])
    assert crossover.main([str(tmp_path / "missing.jsonl")]) == 2


# --- the series' default rule, from a fake w4a16SM90Tool -------------------------------------

C = "tile128x32x64_cluster1x1x1_coop"

# A stand-in for `w4a16SM90Tool --w4a16_default_config=N,K,GROUP,SMS:M,...`: A up to M = 4,
# else C, whatever the shape. MODE makes it fail the ways the real one can (or worse). Every
# call is logged next to it.
FAKE_TOOL = '''
import sys
import time
from pathlib import Path

args = sys.argv[1:]
with open(Path(__file__).with_suffix(".log"), "a") as log:
    log.write(" ".join(args) + "\\n")
flag = "--w4a16_default_config="
if len(args) != 1 or not args[0].startswith(flag):
    print("error: no mode given", file=sys.stderr)
    sys.exit(2)
if MODE == "unfixed":
    print("error: the SM90 dispatch of these kernel sources has no default config (fix 0006 "
          "of the series is not applied)", file=sys.stderr)
    sys.exit(2)
if MODE == "garbage":
    print("Segmentation fault (core dumped)")
    sys.exit(0)
if MODE == "slow":
    time.sleep(30)
shape, _, ms = args[0][len(flag):].partition(":")
if len(shape.split(",")) != 4 or not ms:
    print("error: --w4a16_default_config expects N,K,GROUP,SMS:M,...", file=sys.stderr)
    sys.exit(2)
for m in (int(x) for x in ms.split(",")):
    if MODE == "drop" and m == 4:
        continue
    name = "tile999x1" if MODE == "badname" else (
        "tile128x16x64_cluster1x1x1_coop" if m <= 4 else "tile128x32x64_cluster1x1x1_coop")
    print(f"m={m} tactic={name}")
if MODE == "extra":
    print("m=2 tactic=tile128x16x64_cluster1x1x1_coop")
'''


def fake_tool(tmp: Path, mode: str = "ok") -> Path:
    tool = tmp / f"w4a16SM90Tool_{mode}"
    tool.write_text(f"#!{sys.executable}\nMODE = {mode!r}\n{FAKE_TOOL}")
    tool.chmod(0o755)
    return tool


def three_shapes(tmp: Path) -> list[Path]:
    """Made-up times (us); the default is the GEMV below M = 5 where timed, else B (config 0)."""
    return [
        write(tmp / "p.jsonl", "s/p", {1: {GEMV_TACTIC: 5.0, A: 10.0, B: 8.0},
                                       4: {GEMV_TACTIC: 12.0, A: 10.0, B: 15.0},
                                       16: {A: 8.0, B: 20.0}},  # C not timed
              shape=(1024, 512, 128)),
        write(tmp / "q.jsonl", "s/q", {1: {A: 10.0, B: 10.4},  # no GEMV time
                                       4: {GEMV_TACTIC: 4.0, A: 16.0, B: 20.0},
                                       16: {C: 10.0, A: 12.0, B: 11.0}},
              shape=(2048, 512, 128)),
        write(tmp / "r.jsonl", "s/r", {1: {GEMV_TACTIC: 8.0, A: 10.0, B: 12.0},
                                       4: {GEMV_TACTIC: 11.0, A: 10.0, B: 9.0},
                                       16: {C: 13.0, A: 10.0, B: 16.0}},
              shape=(4096, 1024, 64)),
    ]


def test_default_rule_losses_by_hand(tmp_path: Path) -> None:
    rows = crossover.read_rows(three_shapes(tmp_path))
    tool = fake_tool(tmp_path)
    picks = crossover.default_rule_picks(tool, rows, 132)
    assert picks == {(label, m): (C if m == 16 else A)
                     for label in ("s/p", "s/q", "s/r") for m in (1, 4, 16)}
    # One call per weight shape, each with its group and the SM count.
    assert tool.with_suffix(".log").read_text().splitlines() == [
        "--w4a16_default_config=1024,512,128,132:1,4,16",
        "--w4a16_default_config=2048,512,128,132:1,4,16",
        "--w4a16_default_config=4096,1024,64,132:1,4,16"]

    def losses(rule: Callable) -> dict:
        return {(p.row.label, p.row.m): (p.tactic, p.loss)
                for p in crossover.price_rule(rows, rule(picks))}

    # Loss = the rule's time / the fastest time on the row (GEMV included) - 1.
    assert losses(crossover.fix_pick_everywhere) == {
        ("s/p", 1): (A, pytest.approx(10 / 5 - 1)), ("s/p", 4): (A, 0.0),
        ("s/p", 16): (C, None),
        ("s/q", 1): (A, 0.0), ("s/q", 4): (A, pytest.approx(16 / 4 - 1)), ("s/q", 16): (C, 0.0),
        ("s/r", 1): (A, pytest.approx(10 / 8 - 1)), ("s/r", 4): (A, pytest.approx(10 / 9 - 1)),
        ("s/r", 16): (C, pytest.approx(13 / 10 - 1))}
    # The GEMV below M = 5 where timed (not on s/q at M = 1: A runs there), else the pick.
    assert losses(crossover.gemv_then_fix_pick) == {
        ("s/p", 1): (GEMV_TACTIC, 0.0), ("s/p", 4): (GEMV_TACTIC, pytest.approx(12 / 10 - 1)),
        ("s/p", 16): (C, None),
        ("s/q", 1): (A, 0.0), ("s/q", 4): (GEMV_TACTIC, 0.0), ("s/q", 16): (C, 0.0),
        ("s/r", 1): (GEMV_TACTIC, 0.0), ("s/r", 4): (GEMV_TACTIC, pytest.approx(11 / 9 - 1)),
        ("s/r", 16): (C, pytest.approx(13 / 10 - 1))}


def test_default_rule_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = three_shapes(tmp_path)
    out = tmp_path / "table.md"
    assert crossover.main([*map(str, files), "--default-rule-tool",
                           str(fake_tool(tmp_path)), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.read_text() == text
    assert "not learned from the records" in text
    # The default's losses: 0, 20%, 150% | 4%, 0, 10% | 0, 22%, 60%: sorted, the fifth of nine.
    assert ("(the GEMV below M = 5, else config 0): 4 of 9 problems within 5% of best, median "
            "loss 10%, worst 150% (s/p, M = 16); 0 not timed.") in text
    # The pick everywhere: 100%, 0, - | 0, 300%, 0 | 25%, 11%, 30%: sorted 0 0 0 11 25 30 100
    # 300, the upper middle is 25%; C was not timed on s/p at M = 16.
    assert ("3 of 8 problems within 5% of best, median loss 25%, worst 300% (s/q, M = 4); "
            "1 not timed.") in text
    # Behind the GEMV: 0, 20%, - | 0, 0, 0 | 0, 22%, 30%.
    assert ("5 of 8 problems within 5% of best, median loss 0%, worst 30% (s/r, M = 16); "
            "1 not timed.") in text
    everywhere, behind = text.split("The series' pick everywhere, per M")[1].split(
        "The GEMV below M = 5 where timed, else the series' pick, per M")
    # default at M = 1: 0, 4%, 0; at 4: 20%, 0, 22%; at 16: 150%, 10%, 60%.
    assert f"| 1 | {A} | 3 / 3 | 25% | 100% (s/p) | 0% |" in everywhere
    assert f"| 4 | {A} | 3 / 3 | 11% | 300% (s/q) | 20% |" in everywhere
    assert f"| 16 | {C} | 2 / 3 | 30% | 30% (s/r) | 60% |" in everywhere
    assert f"| 1 | {GEMV_TACTIC} on 2 / {A} on 1 | 3 / 3 | 0% | 0% (s/p) | 0% |" in behind
    assert f"| 4 | {GEMV_TACTIC} | 3 / 3 | 20% | 22% (s/r) | 20% |" in behind
    assert f"| 16 | {C} | 2 / 3 | 30% | 30% (s/r) | 60% |" in behind


def test_without_the_tool_the_output_is_unchanged(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    files = three_shapes(tmp_path)
    assert crossover.main([str(f) for f in files]) == 0
    rows = crossover.read_rows(files)
    assert capsys.readouterr().out == crossover.table(rows) + "\n" + crossover.held_out(rows)


@pytest.mark.parametrize(("mode", "message"), [
    ("missing", "no such file"),
    ("unfixed", "exited 2: the SM90 dispatch of these kernel sources has no default config "
                "(fix 0006 of the series is not applied)"),
    ("garbage", "output line 1 is not 'm=M tactic=NAME': 'Segmentation fault"),
    ("drop", "printed no tactic for M = 4 (shape 1024,512,128,132)"),
    ("extra", "output line 4 answers M = 2, which was not asked"),
    ("badname", "output line 1: not a tactic name: 'tile999x1'"),
    ("not_executable", "cannot run it"),
    ("slow", "no answer within 0.5 s"),
])
def test_tool_failures_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str], mode: str,
                                           message: str) -> None:
    monkeypatch.setattr(crossover, "TOOL_TIMEOUT_S", 0.5)
    tool = fake_tool(tmp_path, mode)
    if mode == "missing":
        tool.unlink()
    if mode == "not_executable":
        tool.chmod(0o644)
    rows = crossover.read_rows(three_shapes(tmp_path))
    with pytest.raises(UserError) as caught:
        crossover.default_rule_picks(tool, rows, 132)
    said = str(caught.value)
    assert said.startswith(f"default-rule tool {tool}")
    assert message in said
    assert "\n" not in said
    if mode in ("unfixed", "drop"):
        assert said.endswith(message)
    # Through the command: one error line, no traceback, exit 2.
    files = three_shapes(tmp_path)
    assert crossover.main([*map(str, files), "--default-rule-tool", str(tool)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"error: default-rule tool {tool}")


def test_records_of_two_builds_are_refused(tmp_path: Path) -> None:
    # `w4a16 lab variants` writes one file with every variant's records, tagged.
    mixed = tmp_path / "records.jsonl"
    lines = [{"record": "tactic", "label": "s/a", "m": 1, "tactic": A, "status": "ok",
              "median_us": us, "variant": name} for name, us in (("before", 12.0),
                                                                ("after", 10.0))]
    mixed.write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(UserError, match=r"2 variants \(after, before\).*--variant"):
        crossover.read_rows([mixed])
    # --variant reads one build's records out of the file, and names the builds it holds when
    # asked for one it does not.
    (row,) = crossover.read_rows([mixed], "after")
    assert row.best_us == 10.0
    (row,) = crossover.read_rows([mixed], "before")
    assert row.best_us == 12.0
    with pytest.raises(UserError, match=r"no records of variant 'base' \(the records hold after, "
                       r"before\)"):
        crossover.read_rows([mixed], "base")


def test_untimed_default_is_not_counted_as_no_loss(tmp_path: Path) -> None:
    # No problem records: nothing says which tactic the default was.
    files = []
    for label, gemv in (("s/a", 3.0), ("s/b", 3.0)):
        path = tmp_path / f"{label[2:]}.jsonl"
        path.write_text("".join(json.dumps(
            {"record": "tactic", "label": label, "m": m, "tactic": t, "status": "ok",
             "median_us": us}) + "\n" for m in (1, 8)
            for t, us in ((GEMV_TACTIC, gemv * m), (A, 10.0))))
        files.append(path)
    text = crossover.held_out(crossover.read_rows(files))
    assert "| s/a | 1 | not timed |" in text
    assert "TensorRT-LLM's default was not timed" in text
    assert text.count("| not timed |") == 2  # both shapes: no default column made up


def test_the_default_rule_needs_the_shape_and_one_sm_count(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    tool = fake_tool(tmp_path)
    # Records without N, K and group: the rule cannot be asked.
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"record": "tactic", "label": "s/x", "m": 1, "tactic": A,
                                "status": "ok", "median_us": 1.0}) + "\n")
    with pytest.raises(UserError, match="records of s/x do not say its weight shape"):
        crossover.default_rule_picks(tool, crossover.read_rows([bare]), 132)
    # Two GPUs' records: the SM count must be given.
    files = [write(tmp_path / "a.jsonl", "s/a", {1: {A: 1.0}}, sm_count=132),
             write(tmp_path / "b.jsonl", "s/b", {1: {A: 1.0}}, sm_count=114)]
    with pytest.raises(UserError, match=r"2 SM counts \(114, 132\).*give --sms"):
        crossover.one_sm_count(crossover.read_records(files).sm_counts)
    assert crossover.main([*map(str, files), "--default-rule-tool", str(tool)]) == 2
    assert "give --sms" in capsys.readouterr().err
    assert crossover.main([*map(str, files), "--default-rule-tool", str(tool),
                           "--sms", "120"]) == 0
    assert tool.with_suffix(".log").read_text().splitlines() == [
        "--w4a16_default_config=1024,512,128,120:1"]


def test_gzip_compressed_records_read_the_same(tmp_path: Path) -> None:
    files = three_shapes(tmp_path)
    packed = []
    for path in files:
        gz = path.with_name(path.name + ".gz")
        gz.write_bytes(gzip.compress(path.read_bytes()))
        packed.append(gz)
    assert crossover.read_rows(packed) == crossover.read_rows(files)
    assert crossover.read_records(packed).sm_counts == {132}
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(UserError, match="cannot read .*broken.jsonl.gz"):
        crossover.read_rows([broken])
