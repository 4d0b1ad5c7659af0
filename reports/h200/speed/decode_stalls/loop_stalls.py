"""Where a kernel's warps wait, per SASS instruction: the k-tile loop against the rest.

Reads the source page of an Nsight Compute report (`ncu -i REP --page source --csv
--print-source sass`, plain or gzip-compressed), finds the steady-state k-tile loop the way
`w4a16 lab profile` does (`w4a16.lab.profile.ktile_loop_body`), and prints the share of warp
stall samples in the loop, the loop's stall reasons, the samples per opcode in the loop and the
instructions with the most samples. Run from the repository root:

    PYTHONPATH=scripts python3 reports/h200/speed/decode_stalls/loop_stalls.py FILE_source.csv.gz
"""
from __future__ import annotations

import csv
import gzip
import sys
from collections import Counter
from pathlib import Path

from w4a16.lab.profile import ktile_loop_body

SAMPLES = "Warp Stall Sampling (All Samples)"


def opcode(sass: str) -> str:
    """The opcode of one SASS line, without its predicate."""
    words = sass.split()
    return words[1] if words[0].startswith("@") else words[0]


def main(path: Path) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        rows = list(csv.reader(f))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Address")
    col = {h: i for i, h in enumerate(rows[head])}
    reasons = [h for h in rows[head] if h.startswith("stall_") and "(Not Issued)" not in h]
    data = [r for r in rows[head + 1:] if r and r[0].startswith("0x")]
    code = [(int(r[0], 16), opcode(r[1].strip()), r[1].strip()) for r in data]
    body = ktile_loop_body(code)
    if body is None:
        sys.exit(f"error: no k-tile loop (a backward branch around HGMMA) in {path}")
    in_loop = {addr for addr, _, _ in body}
    samples = {int(r[0], 16): int(r[col[SAMPLES]] or 0) for r in data}
    total, loop = sum(samples.values()), sum(samples[a] for a in in_loop)
    why: Counter[str] = Counter()
    per_op: Counter[str] = Counter()
    for (addr, op, _), r in zip(code, data, strict=True):
        if addr in in_loop:
            for h in reasons:
                why[h[len("stall_"):]] += int(r[col[h]] or 0)
            per_op[op.split(".")[0]] += samples[addr]
    print(f"{path.name}: {total} samples; k-tile loop of {len(body)} instructions holds "
          f"{loop} ({100 * loop / total:.0f}%)")
    print("  loop, by stall reason (share of the loop's samples; reasons ncu does not export, "
          "such as waiting on a wgmma, are not listed):")
    print("   " + ", ".join(f"{k} {100 * v / loop:.1f}%" for k, v in why.most_common(8)))
    print("  loop, by opcode: " + ", ".join(f"{k} {100 * v / loop:.1f}%"
                                            for k, v in per_op.most_common(10)))
    print("  instructions with the most samples (L: in the loop):")
    base = code[0][0]
    for addr, _, sass in sorted(code, key=lambda c: -samples[c[0]])[:10]:
        print(f"   {'L' if addr in in_loop else ' '} +{addr - base:#07x} {samples[addr]:6d} "
              f"{100 * samples[addr] / total:4.1f}%  {sass[:64]}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
