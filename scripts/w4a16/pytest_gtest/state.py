"""What the plugin keeps for one pytest run, reachable from any node's config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from w4a16.pytest_gtest.batches import BatchRunner
from w4a16.pytest_gtest.settings import PluginSettings


@dataclass
class PluginState:
    settings: PluginSettings
    nodeids: dict[Path, str]  # binary -> node id of its collector
    env: dict[str, str] | None  # environment for gtest processes (None: inherit)
    batches: BatchRunner
    collected: set[Path] = field(default_factory=set)


STATE = pytest.StashKey[PluginState]()


def state_of(config: pytest.Config) -> PluginState:
    return config.stash[STATE]
