"""CI shards (--gtest-shard I/N), merging their JUnit reports, and cases per device.

The stand-in binaries are real gtest binaries (conftest.py builds them), so GoogleTest's
own sharding is what the shards are checked against.
"""

from __future__ import annotations

import re
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from junitparser import Failure, Skipped, xunit2
from w4a16 import cli
from w4a16.gtest.listing import list_cases, read_listing
from w4a16.gtest.merge import merge_reports
from w4a16.gtest.shards import Shard, disabled_by_gtest, parse_shard, shard_by_rule

SHARD_COUNTS = (1, 2, 3, 5)
Key = tuple[str, str, str]  # (suite, classname, name)


def read_cases(path: Path) -> dict[Key, tuple[str, dict[str, str]]]:
    """Every testcase of a JUnit file: key -> (outcome, properties)."""
    cases: dict[Key, tuple[str, dict[str, str]]] = {}
    for suite in xunit2.JUnitXml.fromfile(str(path)):
        for case in suite:
            key = (str(suite.name), str(case.classname), str(case.name))
            assert key not in cases, f"{key} twice in {path}"
            kinds = {type(r) for r in case.result}
            outcome = "failed" if Failure in kinds else "skipped" if Skipped in kinds else "passed"
            props = {str(p.name): str(p.value) for p in case.properties()}
            cases[key] = (outcome, props)
    return cases


def assert_partition(parts: Iterable[set[str]], whole: set[str]) -> None:
    """The parts are pairwise disjoint and together exactly `whole`."""
    seen: set[str] = set()
    for part in parts:
        assert not part & seen, f"in two shards: {sorted(part & seen)}"
        seen |= part
    assert seen == whole


def cli_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- I/N ------------------------------------------------------------------------------


def test_parse_shard_accepts_i_of_n() -> None:
    assert parse_shard("0/1") == Shard(0, 1)
    assert parse_shard("3/4") == Shard(3, 4)
    assert str(parse_shard("2/5")) == "2/5"
    assert Shard(1, 4).environment() == {"GTEST_TOTAL_SHARDS": "4", "GTEST_SHARD_INDEX": "1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4/4", "shard index must be 0 to 3 for 4 shards, got 4"),
        ("-1/4", "shard index must be 0 to 3 for 4 shards, got -1"),
        ("0/0", "the number of shards must be at least 1, got 0"),
        ("1", "expected I/N, e.g. 0/4 (shard I of N, counted from 0), got '1'"),
        ("a/b", "expected I/N"),
        ("1/2/3", "expected I/N"),
    ],
)
def test_parse_shard_rejects_anything_else_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_shard(text)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_disabled_names_follow_gtest() -> None:
    assert disabled_by_gtest("Outcomes.DISABLED_NotReady")
    assert disabled_by_gtest("DISABLED_Suite.Case")
    assert disabled_by_gtest("Prefix/DISABLED_Suite.Case/0")
    assert not disabled_by_gtest("Outcomes.Passes")
    assert not disabled_by_gtest("Suite_DISABLED_.Case")


# --- which cases a shard holds ------------------------------------------------------------


def gtest_runs(binary: Path, shard: Shard, tmp_path: Path, gtest_filter: str = "*") -> set[str]:
    """The cases the binary itself reports when run with GoogleTest's sharding variables."""
    xml = tmp_path / f"run-{shard.index}-of-{shard.total}.xml"
    subprocess.run(
        [str(binary), f"--gtest_filter={gtest_filter}", f"--gtest_output=xml:{xml}"],
        env={**shard.environment(), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )
    return {f"{suite}.{name}" for suite, _, name in read_cases(xml)}


@pytest.mark.parametrize("gtest_filter", ["*", "Outcomes.*:Small/*"])
def test_shards_are_what_gtest_runs_and_partition_the_suite(
    gtest_bins: dict[str, Path], tmp_path: Path, gtest_filter: str
) -> None:
    binary = gtest_bins["outcomes"]
    whole = {case.name for case in list_cases(binary, gtest_filter=gtest_filter)}
    for total in (*SHARD_COUNTS, 4, 16):  # 16 > 13 cases: some shards are empty
        parts = []
        for index in range(total):
            shard = Shard(index, total)
            listing = read_listing(binary, gtest_filter=gtest_filter, shard=shard)
            assert listing.in_shard is not None
            names = {case.name for case in listing.selected()}
            # What the binary itself runs in that shard (a disabled case is reported,
            # as not run, by exactly one shard) ...
            assert names == gtest_runs(binary, shard, tmp_path, gtest_filter), shard
            # ... and what GoogleTest's rule says.
            assert names == {c.name for c in shard_by_rule(listing.cases, shard)}, shard
            parts.append(names)
        assert_partition(parts, whole)


def test_without_a_listing_xml_the_rule_decides(
    gtest_bins: dict[str, Path], tmp_path: Path
) -> None:
    # Like a GoogleTest older than 1.10, which writes no XML while listing.
    binary = gtest_bins["outcomes"]
    old = tmp_path / "old_gtest"
    old.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do shift; case "$a" in --gtest_output=*) ;; *) set -- "$@" "$a";; '
        "esac; done\n"
        f'exec "{binary}" "$@"\n'
    )
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    for index in range(3):
        shard = Shard(index, 3)
        listing = read_listing(old, shard=shard)
        assert listing.cases[0].file is None  # no XML was read
        expected = {case.name for case in list_cases(binary, shard=shard)}
        assert {case.name for case in listing.selected()} == expected


# --- w4a16 run --gtest-shard and w4a16 merge-junit ------------------------------------------


def test_run_shards_partition_the_suite_and_merge_back(
    gtest_bins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = str(gtest_bins["outcomes"])
    full_xml = tmp_path / "full.xml"
    assert cli_main(["run", binary, "--xml", str(full_xml)], capsys)[0] == 1
    full = read_cases(full_xml)
    assert len(full) == 13
    for total in SHARD_COUNTS:
        reports = []
        for index in range(total):
            xml = tmp_path / f"shard-{index}-of-{total}.xml"
            code, out, _ = cli_main(
                ["run", binary, "--gtest-shard", f"{index}/{total}", "--xml", str(xml)], capsys
            )
            assert f"shard {index}/{total}: " in out
            listed = cli_main(["run", binary, "--gtest-shard", f"{index}/{total}", "--list"],
                              capsys)[1]
            names = {line.split("  #")[0] for line in listed.splitlines()}
            shard_cases = read_cases(xml)
            assert {f"{suite}.{name}" for suite, _, name in shard_cases} == names
            assert code == (1 if any(o == "failed" for o, _ in shard_cases.values()) else 0)
            reports.append(xml)
        assert_partition(
            ({"|".join(key) for key in read_cases(xml)} for xml in reports),
            {"|".join(key) for key in full},
        )
        merged = tmp_path / f"merged-{total}.xml"
        code, out, err = cli_main(["merge-junit", str(merged), *map(str, reports)], capsys)
        assert (code, err) == (0, "")
        assert f"merged {total} reports: 13 cases in 5 suites (3 failed, 0 errors, 2 " in out
        assert read_cases(merged) == full  # outcomes and every property


def test_run_shard_flag_is_validated_by_argparse(
    gtest_bins: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", str(gtest_bins["outcomes"]), "--gtest-shard", "2/2"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "w4a16 run: error: argument --gtest-shard: shard index must be 0 to 1 for 2 shards, got 2"
    )


def test_merge_refuses_a_case_in_two_reports(
    gtest_bins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = str(gtest_bins["outcomes"])
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    cli_main(["run", binary, "--gtest-shard", "0/2", "--xml", str(a)], capsys)
    cli_main(["run", binary, "--gtest-shard", "0/3", "--xml", str(b)], capsys)  # overlaps a
    out = tmp_path / "merged.xml"
    code, _, err = cli_main(["merge-junit", str(out), str(a), str(b)], capsys)
    assert code == 2  # a UserError
    assert err == (
        f"error: case Outcomes.Passes is in both {a} and {b}: the shards overlap or a report "
        "was given twice\n"
    )
    assert not out.exists()
    code, _, err = cli_main(["merge-junit", str(out), str(a), str(a)], capsys)
    assert (code, err) == (2, f"error: case Outcomes.Passes is in {a} twice: the shards "
                              "overlap or a report was given twice\n")


def test_merge_reports_bad_inputs_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "merged.xml")
    (tmp_path / "other.xml").write_text("<coverage/>")
    (tmp_path / "broken.xml").write_text("<testsuites><testsuite")
    cases = {
        "absent.xml": f"error: JUnit report not found: {tmp_path / 'absent.xml'}",
        "other.xml": f"error: {tmp_path / 'other.xml'}: not a JUnit report (root is neither "
        "testsuites nor testsuite)",
        "broken.xml": f"error: {tmp_path / 'broken.xml'}: cannot read XML: ",
    }
    for name, message in cases.items():
        code, _, err = cli_main(["merge-junit", out, str(tmp_path / name)], capsys)
        assert code == 2
        assert err.startswith(message) and err.count("\n") == 1, err


def test_merge_keeps_a_lone_testsuite_root_and_suite_properties(tmp_path: Path) -> None:
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    a.write_text(
        '<testsuite name="S"><properties><property name="host" value="n1"/></properties>'
        '<testcase classname="S" name="x" time="1.5"><properties>'
        '<property name="device" value="0 0000:19:00.0"/></properties></testcase></testsuite>'
    )
    b.write_text(
        '<testsuites><testsuite name="S"><properties><property name="host" value="n2"/>'
        '</properties><testcase classname="S" name="y" time="0.5"><failure message="m"/>'
        "</testcase></testsuite></testsuites>"
    )
    summary = merge_reports([a, b], tmp_path / "m.xml")
    assert (summary.cases, summary.suites, summary.failures) == (2, 1, 1)
    [suite] = list(xunit2.JUnitXml.fromfile(str(tmp_path / "m.xml")))
    assert {(p.name, p.value) for p in suite.properties()} == {("host", "n1"), ("host", "n2")}
    assert (suite.tests, suite.failures, suite.time) == (2, 1, 2.0)
    assert read_cases(tmp_path / "m.xml")[("S", "S", "x")] == (
        "passed", {"device": "0 0000:19:00.0"})


# --- the bridge: pytest --gtest-shard ---------------------------------------------------


def test_bridge_shards_partition_the_suite_and_merge_back(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    pytester.makeini("[pytest]\n")
    binary = f"--gtest-binary={gtest_bins['outcomes']}"
    out = pytester.path
    pytester.runpytest_inprocess(
        binary, f"--junitxml={out / 'full.xml'}", f"--gtest-merged-xml={out / 'full-gtest.xml'}"
    ).assert_outcomes(passed=8, failed=3, skipped=2)
    full, full_gtest = read_cases(out / "full.xml"), read_cases(out / "full-gtest.xml")
    for total in (2, 3, 5):  # one shard is the whole suite: w4a16 run's test covers it
        junit, gtest = [], []
        for index in range(total):
            junit.append(out / f"junit-{index}-of-{total}.xml")
            gtest.append(out / f"gtest-{index}-of-{total}.xml")
            result = pytester.runpytest_inprocess(
                binary,
                f"--gtest-shard={index}/{total}",
                f"--junitxml={junit[-1]}",
                f"--gtest-merged-xml={gtest[-1]}",
            )
            ran = sum(result.parseoutcomes().get(k, 0) for k in ("passed", "failed", "skipped"))
            assert ran == len(read_cases(junit[-1]))
            assert result.parseoutcomes().get("deselected", 0) == 13 - ran
        assert_partition(({c[2] for c in read_cases(x)} for x in junit), {c[2] for c in full})
        for parts, whole, name in ((junit, full, "junit"), (gtest, full_gtest, "gtest")):
            merged = out / f"merged-{name}-{total}.xml"
            merge_reports(parts, merged)
            assert read_cases(merged) == whole, (name, total)


def test_bridge_shard_is_applied_before_k(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    pytester.makeini("[pytest]\n")
    binary = f"--gtest-binary={gtest_bins['outcomes']}"
    picked = []
    for index in range(2):
        result = pytester.runpytest_inprocess(
            binary, f"--gtest-shard={index}/2", "-k", "Widths", "--collect-only", "-q"
        )
        picked.append({line for line in result.outlines if "::" in line})
    assert_partition(picked, {f"outcomes::Small/Widths.IsEven/{n}" for n in range(3)})
    assert picked[0] == {"outcomes::Small/Widths.IsEven/1"}  # 11th runnable case: 10 % 2 == 0


@pytest.mark.parametrize("value", ["2/2", "1", "x/3"])
def test_bridge_bad_shard_is_a_one_line_usage_error(
    pytester: pytest.Pytester, value: str
) -> None:
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_inprocess(f"--gtest-shard={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --gtest-shard: *"])
    assert "Traceback" not in result.stderr.str()


# --- cases per device ---------------------------------------------------------------------

_PER_DEVICE = re.compile(r"gtest cases per device: (?P<counts>.*?) -*$")


def per_device_line(lines: list[str]) -> dict[str, int]:
    """`7 on 5 0000:1e:00.0, ...` from the bridge's summary, as {device: count}."""
    [line] = [m.group("counts") for m in map(_PER_DEVICE.search, lines) if m]
    counts = {}
    for part in line.split(", "):
        count, _, device = part.partition(" on ")
        if device:
            counts[device] = int(count)
        else:
            counts["<none>"] = int(part.split()[0])
    return counts


def test_summary_counts_cases_per_device_across_xdist_workers_and_shards(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")  # gw0 gets GPU 5, gw1 GPU 7
    binary = f"--gtest-binary={gtest_bins['devices']}"
    gpu5, gpu7 = "5 0000:1e:00.0", "7 0000:20:00.0"
    result = pytester.runpytest_subprocess(
        "-n", "2", binary, "--gtest-batch-size=3", f"--gtest-merged-xml={pytester.path / 'm.xml'}",
        f"--junitxml={pytester.path / 'junit.xml'}",
    )
    result.assert_outcomes(passed=9)
    counts = per_device_line(result.outlines)
    merged = read_cases(pytester.path / "m.xml")
    recorded = [props.get("device", "<none>") for _, props in merged.values()]
    assert counts == {device: recorded.count(device) for device in set(recorded)}
    junit = read_cases(pytester.path / "junit.xml")  # pytest's own report keeps it too
    assert sorted(props.get("device", "<none>") for _, props in junit.values()) == sorted(recorded)
    assert set(counts) == {gpu5, gpu7, "<none>"}  # three batches over both workers
    assert counts["<none>"] == 1  # Host.NoDevice records none
    # Two CI shards, each spread over two workers; their reports merge with `device` kept.
    reports = []
    for index in range(2):
        reports.append(pytester.path / f"shard{index}.xml")
        result = pytester.runpytest_subprocess(
            "-n", "2", binary, "--gtest-batch-size=2", f"--gtest-shard={index}/2",
            f"--gtest-merged-xml={reports[-1]}",
        )
        assert sum(per_device_line(result.outlines).values()) == len(read_cases(reports[-1]))
    merge_reports(reports, pytester.path / "shards.xml")
    shards = read_cases(pytester.path / "shards.xml")
    assert shards.keys() == merged.keys()
    assert all(props.get("device") in (gpu5, gpu7) for key, (_, props) in shards.items()
               if key[0] != "Host")


def test_no_device_line_without_the_property(
    pytester: pytest.Pytester, gtest_bins: dict[str, Path]
) -> None:
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest_inprocess(f"--gtest-binary={gtest_bins['outcomes']}")
    result.stdout.no_fnmatch_line("*cases per device*")


def test_run_prints_cases_per_device(
    gtest_bins: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    code, out, _ = cli_main(["run", str(gtest_bins["devices"])], capsys)
    assert code == 0
    assert "cases per device: 8 on 3 0000:1c:00.0, 1 without a device property" in out
