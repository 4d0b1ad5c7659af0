"""pytest plugin: GoogleTest binaries as pytest items, run in batches.

Loaded through the `pytest11` entry point `w4a16_gtest` (disable with
`-p no:w4a16_gtest`). Options are described in docs/bridge.md. The work is done
by `w4a16.gtest.runner`, shared with the build driver and `w4a16 run`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from w4a16.gtest.junit import write_report
from w4a16.gtest.results import CaseResult, describe_devices, device_of
from w4a16.pytest_gtest.batches import BatchRunner
from w4a16.pytest_gtest.gpus import gpu_for_worker, visible_gpus
from w4a16.pytest_gtest.items import GTestBinary, GTestCase
from w4a16.pytest_gtest.protocol import run_lean, wants_full_protocol
from w4a16.pytest_gtest.settings import (
    add_options,
    attaches_configured_binaries,
    binary_nodeids,
    read_settings,
)
from w4a16.pytest_gtest.state import STATE, PluginState, state_of


class GTestBridgeWarning(pytest.PytestWarning):
    """Something about the gtest binaries the user should know."""


def _worker_id(config: pytest.Config) -> str | None:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput.get("workerid"))
    return None


def _environment(config: pytest.Config) -> dict[str, str] | None:
    """os.environ with this xdist worker's GPU in CUDA_VISIBLE_DEVICES, or None (inherit)."""
    worker = _worker_id(config)
    if worker is None:
        return None
    gpu = gpu_for_worker(worker, visible_gpus())
    if gpu is None:
        return None
    return {**os.environ, "CUDA_VISIBLE_DEVICES": gpu}


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gtest: a GoogleTest case run through the w4a16 bridge")
    config.addinivalue_line("markers", "gpu: needs a GPU (gtest cases matching gtest_gpu_pattern)")
    settings = read_settings(config)
    env = _environment(config)
    config.stash[STATE] = PluginState(
        settings=settings,
        nodeids=binary_nodeids(settings.binaries, config.rootpath),
        env=env,
        batches=BatchRunner(
            case_timeout=settings.case_timeout,
            batch_timeout=settings.batch_timeout,
            env=env,
        ),
    )
    if settings.merged_xml is not None:
        config.pluginmanager.register(_CaseDataOnReports(), "w4a16-gtest-case-data")
        if _worker_id(config) is None:
            config.pluginmanager.register(
                _MergedReport(settings.merged_xml), "w4a16-gtest-merged"
            )
    if _worker_id(config) is None:
        prefixes = set(state_of(config).nodeids.values())
        config.pluginmanager.register(_DeviceCounts(prefixes), "w4a16-gtest-devices")
    if _worker_id(config) is None and config.pluginmanager.hasplugin("xdist"):
        from w4a16.pytest_gtest.xdist import SchedulerPlugin

        prefixes = set(state_of(config).nodeids.values())
        config.pluginmanager.register(
            SchedulerPlugin(prefixes, settings.batch_size), "w4a16-gtest-xdist"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        state.batches.close()


def _collector(parent: pytest.Collector | pytest.Session, path: Path, state: PluginState) -> Any:
    return GTestBinary.from_parent(
        parent, name=path.name, path=path, nodeid=state.nodeids[path], binary=path
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    state = state_of(parent.config)
    if file_path.name not in {p.name for p in state.settings.binaries}:
        return None
    resolved = file_path.resolve()
    if resolved not in state.nodeids or resolved in state.collected:
        return None
    state.collected.add(resolved)
    return _collector(parent, resolved, state)


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    config = session.config
    state = state_of(config)
    missing = state.settings.default_missing
    if (
        missing is not None
        and _worker_id(config) is None
        and attaches_configured_binaries(config, state.settings)
    ):
        # Attributed to the missing file itself, so the summary names it and no code line.
        warnings.warn_explicit(
            GTestBridgeWarning(
                f"no gtest binary at {missing}: no gtest cases collected (build it, set "
                "W4A16_BINARY, or pass --gtest-binary)"
            ),
            GTestBridgeWarning,
            filename=str(missing),
            lineno=0,
        )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the configured binaries no directory walk reached, then keep only the cases of
    --gtest-shard, before -k/-m select."""
    state = state_of(config)
    if attaches_configured_binaries(config, state.settings):
        for path in state.settings.binaries:
            if path not in state.collected:
                state.collected.add(path)
                items.extend(session.genitems(_collector(session, path, state)))
    if state.settings.shard is None:
        return
    other_shards = [item for item in items if isinstance(item, GTestCase) and not item.in_shard]
    if other_shards:
        config.hook.pytest_deselected(items=other_shards)
        items[:] = [item for item in items if not (isinstance(item, GTestCase)
                                                   and not item.in_shard)]


def pytest_collection_finish(session: pytest.Session) -> None:
    state = state_of(session.config)
    gtest_items = [item for item in session.items if isinstance(item, GTestCase)]
    prefixes = {item.parent.nodeid for item in gtest_items if item.parent is not None}
    state.batches.plan(gtest_items, prefixes, state.settings.batch_size)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """gtest items take the lean protocol (w4a16.pytest_gtest.protocol) unless they need
    pytest's full one; everything else is left to pytest."""
    if not isinstance(item, GTestCase) or state_of(item.config).settings.full_protocol:
        return None
    if wants_full_protocol(item):
        return None
    run_lean(item, nextitem)
    return True


class _CaseDataOnReports:
    """Puts each gtest case's result on its call report, for the merged report.

    Registered only when a merged report is asked for (in xdist workers too, whose reports
    travel to the controller), so other runs pay nothing for it.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if isinstance(item, GTestCase) and call.when == "call" and item.gtest_result is not None:
            # Plain data, so that xdist can ship it to the controller with the report.
            report.gtest_case = {  # type: ignore[attr-defined]
                "binary": item.parent.nodeid if item.parent else "",
                "result": item.gtest_result.to_dict(),
            }
        return report


class _MergedReport:
    """Collects every gtest case's result (from this process or xdist workers) into one file."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.results: dict[str, list[CaseResult]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "gtest_case", None)
        if isinstance(data, dict):
            result = CaseResult.from_dict(data["result"])
            self.results.setdefault(str(data["binary"]), []).append(result)

    def pytest_sessionfinish(self) -> None:
        write_report(self.results, self.target)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        count = sum(len(results) for results in self.results.values())
        terminalreporter.write_sep("-", f"gtest report ({count} cases): {self.target}")


class _DeviceCounts:
    """Counts gtest cases per `device` property (GPU index and PCI bus id) for one summary
    line, which shows how `pytest -n N` spread the cases over GPUs. Runs where the
    process that prints the summary; xdist workers' reports reach it with their properties.
    """

    def __init__(self, prefixes: set[str]) -> None:
        self.prefixes = prefixes
        self.devices: dict[str, str | None] = {}  # node id -> device (None: not recorded)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" or report.nodeid.split("::", 1)[0] not in self.prefixes:
            return
        self.devices[report.nodeid] = device_of(report.user_properties)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        line = describe_devices(self.devices.values())
        if line is not None:
            terminalreporter.write_sep("-", f"gtest cases per device: {line}")
