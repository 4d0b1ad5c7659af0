"""A stand-in for the C++ tool's (w4a16SM90Tool's) two Python-facing modes, on the emulator.

Lets the case-file plumbing and the GPU test module be exercised where no tool is built
(support.make_fake_binary installs it under the tool's name). Run as a script:
`python fake_binary.py --w4a16_case=DIR` or `--w4a16_preprocess=IN,OUT,K,N`. Environment
knobs, to test that failures are caught:
W4A16_FAKE_ONLY (comma-separated tactics it "compiled"; others are not_compiled),
W4A16_FAKE_PARTIAL (a tactic whose second half of rows it leaves unwritten),
W4A16_FAKE_ERROR (a tactic it reports as failed), W4A16_FAKE_DEVICE (torch device).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emulator import emulate_kernel  # noqa: E402
from w4a16.casefiles import OUT_DIR, RESULT_JSON, read_case  # noqa: E402
from w4a16.reference import POISON_BITS, preprocess_sm90  # noqa: E402
from w4a16.tactics import all_tactics  # noqa: E402


def _names(env: str) -> set[str]:
    return {s for s in os.environ.get(env, "").split(",") if s}


def run_case(directory: Path) -> int:
    case = read_case(directory)
    spec = case.spec
    requested = [t.name for t in all_tactics()] if spec.tactics == ("all",) else spec.tactics
    only = _names("W4A16_FAKE_ONLY")
    device = os.environ.get("W4A16_FAKE_DEVICE", "cpu")
    out = None
    (directory / OUT_DIR).mkdir(exist_ok=True)
    entries = []
    for name in requested:
        if only and name not in only:
            entries.append({"name": name, "status": "not_compiled", "message": "", "file": None})
            continue
        if name in _names("W4A16_FAKE_ERROR"):
            entries.append({"name": name, "status": "error", "message": "planted", "file": None})
            continue
        if out is None:
            out = emulate_kernel(
                case.activations,
                preprocess_sm90(case.weights),
                case.scales,
                case.zeros,
                case.bias,
                k=spec.k,
                n=spec.n,
                group_size=spec.group_size,
                dtype=spec.dtype,
                alpha=spec.alpha,
                device=device,
            )
        result = out.copy()
        if name in _names("W4A16_FAKE_PARTIAL"):
            result[spec.m // 2 :] = POISON_BITS
        rel = f"{OUT_DIR}/{name}.bin"
        result.astype("<u2").tofile(directory / rel)
        entries.append({"name": name, "status": "ok", "message": "", "file": rel})
    report = {"version": 1, "device": f"emulator ({device})", "tactics": entries}
    (directory / RESULT_JSON).write_text(json.dumps(report, indent=2))
    return 0


def run_preprocess(spec: str) -> int:
    src, dst, k, n = spec.split(",")
    q = np.fromfile(src, dtype=np.int8).reshape(int(k), int(n))
    preprocess_sm90(q).tofile(dst)
    return 0


def main(argv: list[str]) -> int:
    for arg in argv:
        if arg.startswith("--w4a16_case="):
            return run_case(Path(arg.split("=", 1)[1]))
        if arg.startswith("--w4a16_preprocess="):
            return run_preprocess(arg.split("=", 1)[1])
    print("usage: fake_binary.py --w4a16_case=DIR | --w4a16_preprocess=IN,OUT,K,N", file=sys.stderr)
    return 2


if __name__ == "__main__":
    if os.environ.get("W4A16_FAKE_DEVICE", "cpu").startswith("cuda"):
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
    raise SystemExit(main(sys.argv[1:]))
