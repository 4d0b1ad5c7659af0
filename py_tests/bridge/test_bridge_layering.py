"""The runner library stands without pytest; only the plugin package brings pytest in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
# The same check ci/test.py runs before pytest.
GTEST_WITHOUT_PYTEST = "import sys, w4a16.gtest; assert 'pytest' not in sys.modules"


def test_importing_the_gtest_library_loads_no_pytest() -> None:
    inherited = os.environ.get("PYTHONPATH")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SCRIPTS), *([inherited] if inherited else [])]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", GTEST_WITHOUT_PYTEST],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
