"""Content hashes that tie a GPU result to the exact binary and patches that produced it.

Binaries are built on the CPU machine and carried to the GPU machine, often hours apart and
alongside other builds of the same target. The build records the hash of each patch it applied
and of each binary it linked (`build_info.json`); the GPU steps record the hash of each binary
they ran (`binaries.json`, the experiment's `summary.json`). Equal hashes are the proof that a
committed number belongs to a given patch, whatever the file names say.

Usage: python -m w4a16.fingerprint NAME=PATH [NAME=PATH ...]   (prints JSON)
       python -m w4a16.fingerprint --match RUN.json READY.json
         (which built binary each binary of a GPU run is; exit 1 if one is none of them)
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


def match(ran: dict[str, dict[str, Any]],
          built: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """For each binary a GPU run hashed, the names of the CPU-machine builds with the same
    bytes (empty: a binary of unknown origin; missing ones are left out)."""
    return {name: sorted(b for b, rec in built.items() if rec.get("sha256") == entry["sha256"])
            for name, entry in ran.items() if "sha256" in entry}


def _records(path: Path) -> dict[str, dict[str, Any]]:
    """A JSON file this tool wrote: NAME -> record. Any other shape is refused here, so that
    `match` never meets, say, an experiment's summary.json."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path} is not a NAME -> record map")
    return data


def _named_path(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, Path(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m w4a16.fingerprint", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", type=_named_path, metavar="NAME=PATH",
                   help="a file to hash and the name to record it under")
    p.add_argument("--match", nargs=2, type=Path, metavar=("RUN.json", "READY.json"),
                   help="hash nothing: name, for each binary in a GPU run's binaries.json, "
                   "the build in READY.json (written by this tool on the CPU machine) with "
                   "the same SHA-256; exit 1 if one matches none")
    p.add_argument("--out", type=Path,
                   help="write the JSON here instead of printing it to stdout")
    args = p.parse_args(argv)
    if args.match is not None:
        if args.files or args.out is not None:
            p.error("--match takes no NAME=PATH and no --out")
        try:
            ran, built = (_records(f) for f in args.match)
        except (OSError, ValueError) as e:
            p.error(f"--match needs two JSON files written by this tool: {e}")
        found = match(ran, built)
        for name, builds in found.items():
            print(f"{name}: " + (", ".join(builds) or f"NO MATCH in {args.match[1]}"))
        if not found:
            print(f"{args.match[0]} holds no hashed binary")
        return 0 if found and all(found.values()) else 1
    if not args.files:
        p.error("give NAME=PATH to hash, or --match RUN.json READY.json")
    text = json.dumps(describe(dict(args.files)), indent=1) + "\n"
    if args.out is not None:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
