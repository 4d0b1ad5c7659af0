"""Stands in for the test binary's case mode (`--w4a16_case=DIR`) in the `try` tests.

It "compiles" the same tactics as fake_bench_binary.py (config 1 not compiled; the CUDA-core
GEMV with FAKE_BENCH_GEMV=1, for M <= 15) and writes the exact product rounded to the dtype,
which any correct kernel's error model accepts. FAKE_CASE_WRONG=NAME writes that tactic's
output with the sign of one column flipped (it must fail the check); FAKE_CASE_ERROR=NAME
reports that tactic as failed to launch; FAKE_CASE_NONE=1 compiles nothing (a build filter that
leaves out the problem's dtype).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_bench_binary  # noqa: E402
from w4a16.casefiles import OUT_DIR, RESULT_JSON, read_case  # noqa: E402
from w4a16.reference import to_bits  # noqa: E402


def run_case(directory: Path) -> int:
    case = read_case(directory)
    spec = case.spec
    exact = case.reference("cpu").ref.numpy()
    (directory / OUT_DIR).mkdir(exist_ok=True)
    entries = []
    for i, name in enumerate(fake_bench_binary.candidates()):
        entry = {"name": name, "status": "ok", "message": "", "file": None}
        if i == 1 or os.environ.get("FAKE_CASE_NONE") == "1":
            entry.update(status="not_compiled", message="not compiled in this build")
        elif name == fake_bench_binary.GEMV and spec.m > fake_bench_binary.GEMV_MAX_M:
            entry.update(status="not_compiled", message="the GEMV runs M 1 to 15")
        elif name == os.environ.get("FAKE_CASE_ERROR"):
            entry.update(status="error", message="planted launch failure")
        else:
            out = exact.copy()
            if name == os.environ.get("FAKE_CASE_WRONG"):
                out[:, 0] = -out[:, 0] + 1.0
            rel = f"{OUT_DIR}/{name}.bin"
            to_bits(out, spec.dtype).astype("<u2").tofile(directory / rel)
            entry["file"] = rel
        entries.append(entry)
    doc = {"version": 1, "device": "Fake H100 (case mode)", "tactics": entries}
    (directory / RESULT_JSON).write_text(json.dumps(doc, indent=2))
    return 0


def main(argv: list[str]) -> int:
    for arg in argv:
        if arg.startswith("--w4a16_case="):
            return run_case(Path(arg.split("=", 1)[1]))
    print("usage: fake_case_binary.py --w4a16_case=DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
