"""Fixtures for the reference tests."""

from __future__ import annotations

import pytest

from .support import seed_for


@pytest.fixture
def rng(request: pytest.FixtureRequest):
    """A generator seeded from the test id: fresh data per test, reproducible per test."""
    import numpy as np

    return np.random.default_rng(seed_for(request.node.nodeid))
