"""The bridge's options, read once per pytest run from flags and ini values."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from w4a16.gtest.runner import DEFAULT_BATCH_TIMEOUT, DEFAULT_CASE_TIMEOUT
from w4a16.gtest.shards import Shard, parse_shard
from w4a16.paths import default_binary

DEFAULT_GPU_PATTERN = r"(?i)gpu|cuda|sm90"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("gtest", "GoogleTest binaries as pytest items (w4a16 bridge)")
    group.addoption(
        "--gtest-binary",
        action="append",
        default=[],
        metavar="PATH",
        help="gtest binary to collect (repeatable); replaces the default binary",
    )
    group.addoption(
        "--gtest-case-timeout",
        type=float,
        metavar="S",
        help=f"seconds one gtest case may run (ini gtest_case_timeout, default "
        f"{DEFAULT_CASE_TIMEOUT:g})",
    )
    group.addoption(
        "--gtest-batch-timeout",
        type=float,
        metavar="S",
        help=f"seconds one batch of cases may run (ini gtest_batch_timeout, default "
        f"{DEFAULT_BATCH_TIMEOUT:g})",
    )
    group.addoption(
        "--gtest-batch-size",
        type=int,
        metavar="N",
        help="cases per gtest process; 0 = all of a binary's selected cases (ini "
        "gtest_batch_size, default 0)",
    )
    group.addoption(
        "--gtest-merged-xml",
        metavar="PATH",
        help="write one JUnit XML report with every gtest case (failure text, properties)",
    )
    group.addoption(
        "--gtest-shard",
        metavar="I/N",
        help="keep only shard I of N (0 <= I < N) of each binary's cases: the ones the binary "
        "itself runs with GTEST_TOTAL_SHARDS=N GTEST_SHARD_INDEX=I; the rest are deselected. "
        "Other pytest items are not sharded (add -m gtest)",
    )
    group.addoption(
        "--gtest-full-protocol",
        action="store_true",
        help="run gtest items through pytest's full setup/call/teardown hooks (capture, "
        "logging, fixtures) instead of the bridge's lean protocol (ini gtest_full_protocol)",
    )
    parser.addini("gtest_binaries", "gtest binaries to collect, one per line", type="linelist")
    parser.addini("gtest_full_protocol", "true: always use pytest's full runtest protocol",
                  type="bool", default=False)
    parser.addini(
        "gtest_gpu_pattern",
        "regex: gtest cases whose name matches get the `gpu` marker",
        default=DEFAULT_GPU_PATTERN,
    )
    parser.addini("gtest_batch_size", "cases per gtest process (0 = all)", default="0")
    parser.addini(
        "gtest_case_timeout", "seconds one gtest case may run", default=str(DEFAULT_CASE_TIMEOUT)
    )
    parser.addini(
        "gtest_batch_timeout",
        "seconds one batch of gtest cases may run",
        default=str(DEFAULT_BATCH_TIMEOUT),
    )


@dataclass(frozen=True)
class PluginSettings:
    """Everything the bridge needs to know from the command line and ini file."""

    binaries: tuple[Path, ...]
    named: bool  # binaries came from --gtest-binary
    default_missing: Path | None  # the default binary, when used and absent
    gpu_pattern: re.Pattern[str]
    batch_size: int
    case_timeout: float
    batch_timeout: float
    merged_xml: Path | None
    full_protocol: bool = False
    shard: Shard | None = None


def _number(config: pytest.Config, flag: str, ini: str, kind: type) -> float:
    value = config.getoption(flag)
    source = f"--{flag.replace('_', '-')}"
    if value is None:
        value, source = config.getini(ini), f"ini option {ini}"
    try:
        number = kind(str(value).strip())
    except ValueError:
        raise pytest.UsageError(f"{source}: not a number: {value!r}") from None
    if number < 0 or (kind is float and number == 0):
        raise pytest.UsageError(f"{source}: must be positive, got {value!r}")
    return number


def _absolute(base: Path, text: str) -> Path:
    path = Path(os.path.expanduser(text))
    return path if path.is_absolute() else base / path


def read_settings(config: pytest.Config) -> PluginSettings:
    """The settings from flags first, then ini; a bad value is a one-line usage error."""
    here = config.invocation_params.dir
    named = [_absolute(here, text) for text in config.getoption("gtest_binary")]
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    listed = [_absolute(ini_base, text) for text in config.getini("gtest_binaries")]
    binaries = named + listed
    default_missing = None
    if not binaries:
        fallback = default_binary()
        if fallback.is_file():
            binaries = [fallback]
        else:
            default_missing = fallback
    pattern_text = config.getini("gtest_gpu_pattern")
    try:
        pattern = re.compile(pattern_text)
    except re.error as exc:
        raise pytest.UsageError(f"ini option gtest_gpu_pattern: bad regex: {exc}") from None
    merged = config.getoption("gtest_merged_xml")
    shard_text = config.getoption("gtest_shard")
    shard = None
    if shard_text is not None:
        try:
            shard = parse_shard(shard_text)
        except ValueError as exc:
            raise pytest.UsageError(f"--gtest-shard: {exc}") from None
    return PluginSettings(
        binaries=tuple(dict.fromkeys(p.resolve() for p in binaries)),
        named=bool(named),
        default_missing=default_missing,
        gpu_pattern=pattern,
        batch_size=int(_number(config, "gtest_batch_size", "gtest_batch_size", int)),
        case_timeout=_number(config, "gtest_case_timeout", "gtest_case_timeout", float),
        batch_timeout=_number(config, "gtest_batch_timeout", "gtest_batch_timeout", float),
        merged_xml=_absolute(here, merged) if merged else None,
        full_protocol=bool(config.getoption("gtest_full_protocol")
                           or config.getini("gtest_full_protocol")),
        shard=shard,
    )


def binary_nodeids(binaries: tuple[Path, ...], rootpath: Path) -> dict[Path, str]:
    """Node id of each binary's collector: its file name, unless two binaries share one."""
    names = [path.name for path in binaries]
    ids: dict[Path, str] = {}
    for path in binaries:
        if names.count(path.name) == 1:
            ids[path] = path.name
        else:
            try:
                ids[path] = path.relative_to(rootpath).as_posix()
            except ValueError:
                ids[path] = path.as_posix()
    return ids


def attaches_configured_binaries(config: pytest.Config, settings: PluginSettings) -> bool:
    """Whether this run gets the configured binaries even if no argument names them.

    Named binaries always join; ini or default binaries join when an argument is a
    directory (as in `pytest` or `pytest py_tests`), not when only files or node
    ids were asked for.
    """
    if settings.named:
        return True
    here = config.invocation_params.dir
    return any((here / arg.split("::", 1)[0]).is_dir() for arg in config.args)
