"""SASS of the GEMV's fp16 group-128 scale-only kernels (no bias), per CtaM x CtaN, in each build.

    python3 sass_counts.py CUOBJDUMP NAME=BUILD_DIR ...   # prints sass_counts.txt

Counts every instruction of each kernel's code (loop, epilogue and all), and its shuffles,
shared-memory stores and byte permutes, from `cuobjdump -sass` of the build's GEMV object; the
registers from `cuobjdump -res-usage`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

OBJECT = "CMakeFiles/w4a16_runner.dir/generated/w4a16_gemv_fp16_g128.cu.o"
# kernel<Details, CtaM, CtaN, Threads=128, GroupSize=128, no act scale, no zeros, no bias, no alpha>
KERNEL = re.compile(r"ELi(\d+)ELi(\d+)ELi128ELi128ELb0ELb0ELb0ELb0E")
OPCODE = re.compile(r"/\*[0-9a-f]{4}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)")


def counts(cuobjdump: str, build: str) -> dict[tuple[int, int], tuple[int, int, int, int, int]]:
    obj = f"{build}/{OBJECT}"
    sass = subprocess.run([cuobjdump, "-sass", obj], capture_output=True, text=True,
                          check=True).stdout
    usage = subprocess.run([cuobjdump, "-res-usage", obj], capture_output=True, text=True,
                           check=True).stdout
    regs = {}
    for name, reg in re.findall(r"Function (\S+):\s*\n\s*REG:(\d+)", usage):
        found = KERNEL.search(name)
        if found:
            regs[int(found.group(1)), int(found.group(2))] = int(reg)
    out = {}
    for body in re.split(r"\n\s+Function : ", sass)[1:]:
        found = KERNEL.search(body.split("\n", 1)[0])
        if not found:
            continue
        key = (int(found.group(1)), int(found.group(2)))
        ops = Counter(op.split(".")[0] for op in OPCODE.findall(body))
        out[key] = (sum(ops.values()), ops["SHFL"], ops["STS"], ops["PRMT"], regs.get(key, -1))
    return out


def main() -> None:
    cuobjdump, builds = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
    tables = {name: counts(cuobjdump, path) for name, path in builds}
    keys = sorted(set().union(*tables.values()))
    print("CtaM x CtaN | " + " | ".join(f"{n}: instr SHFL STS PRMT regs" for n, _ in builds))
    for key in keys:
        cells = [" ".join(str(v) for v in tables[n].get(key, ())) for n, _ in builds]
        print(f"{key[0]} x {key[1]} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
