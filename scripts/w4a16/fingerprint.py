"""Content hashes that tie a GPU result to the exact binary and patches that produced it.

Binaries are built on the CPU machine and carried to the GPU machine, often hours apart and
alongside other builds of the same target. The build records the hash of each patch it applied
and of each binary it linked (`build_info.json`); the GPU steps record the hash of each binary
they ran (`binaries.json`, the experiment's `summary.json`). Equal hashes are the proof that a
committed number belongs to a given patch, whatever the file names say.

Usage: python -m w4a16.fingerprint NAME=PATH [NAME=PATH ...]   (prints JSON)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (bench binaries are tens of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(files: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """{name: {path, bytes, sha256}} for each file; a missing one is recorded as missing
    (a GPU run must still say which binary it could not find) rather than raising."""
    out: dict[str, dict[str, Any]] = {}
    for name, path in files.items():
        if path.is_file():
            out[name] = {"path": str(path), "bytes": path.stat().st_size,
                         "sha256": sha256_file(path)}
        else:
            out[name] = {"path": str(path), "missing": True}
    return out


def _named_path(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, Path(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m w4a16.fingerprint", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", type=_named_path, metavar="NAME=PATH",
                   help="a file to hash and the name to record it under")
    p.add_argument("--out", type=Path,
                   help="write the JSON here instead of printing it to stdout")
    args = p.parse_args(argv)
    text = json.dumps(describe(dict(args.files)), indent=1) + "\n"
    if args.out is not None:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
