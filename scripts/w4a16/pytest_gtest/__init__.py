"""The pytest plugin that collects GoogleTest binaries and runs their cases as pytest items.

`w4a16.pytest_gtest.plugin` is the module the `pytest11` entry point `w4a16_gtest` loads;
the other modules hold its options, nodes, batching, xdist scheduling and GPU assignment.
The cases themselves are run by `w4a16.gtest`, which does not import pytest.
"""
