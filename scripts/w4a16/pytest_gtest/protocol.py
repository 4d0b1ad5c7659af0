"""A lean runtest protocol for gtest items.

pytest's own protocol runs every phase of every item through the capture, logging, fixture
and skipping plugins; for a gtest case, whose result is already sitting in its batch's
report, that machinery costs more than the bridge itself (about 40% of a 300-case run).
Here each phase is called directly and its report goes through the usual makereport /
logreport hooks, so the terminal, --junitxml, -x, xdist and our merged report see exactly
what they would otherwise. Items that need the full protocol keep it: ones with skip,
skipif, xfail, usefixtures or filterwarnings marks, runs with --pdb or --trace, and any run
with --gtest-full-protocol.
"""

from __future__ import annotations

import pytest

FULL_PROTOCOL_MARKS = frozenset(("skip", "skipif", "xfail", "usefixtures", "filterwarnings"))
_RERAISE = (pytest.exit.Exception, KeyboardInterrupt)


def wants_full_protocol(item: pytest.Item) -> bool:
    config = item.config
    if config.getoption("usepdb", False) or config.getoption("trace", False):
        return True
    return any(mark.name in FULL_PROTOCOL_MARKS for mark in item.iter_markers())


def run_lean(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """setup, call, teardown of one item, each reported as pytest would report it."""
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    setup_state = item.session._setupstate  # pytest keeps no public handle on it
    setup_ok = True
    phases = (
        ("setup", lambda: setup_state.setup(item)),
        ("call", item.runtest),
        ("teardown", lambda: setup_state.teardown_exact(nextitem)),
    )
    for when, action in phases:
        if when == "call" and not setup_ok:
            continue
        call = pytest.CallInfo.from_call(action, when=when, reraise=_RERAISE)
        report = ihook.pytest_runtest_makereport(item=item, call=call)
        ihook.pytest_runtest_logreport(report=report)
        if when == "setup":
            setup_ok = report.passed
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
