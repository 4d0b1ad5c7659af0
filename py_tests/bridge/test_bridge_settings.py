"""Node ids of binary collectors: short, unique, stable."""

from __future__ import annotations

from pathlib import Path

from w4a16.pytest_gtest.settings import binary_nodeids


def test_unique_file_names_are_the_node_ids() -> None:
    binaries = (Path("/work/build/slim/w4a16SM90SimpleTest"), Path("/opt/other/unit_tests"))
    assert binary_nodeids(binaries, Path("/work")) == {
        binaries[0]: "w4a16SM90SimpleTest",
        binaries[1]: "unit_tests",
    }


def test_shared_file_names_fall_back_to_paths() -> None:
    binaries = (Path("/work/build/slim/tests"), Path("/work/build/full/tests"), Path("/x/tests"))
    assert binary_nodeids(binaries, Path("/work")) == {
        binaries[0]: "build/slim/tests",
        binaries[1]: "build/full/tests",
        binaries[2]: "/x/tests",
    }
