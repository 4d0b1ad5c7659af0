"""The main loop of each GEMV kernel in the bench binary: its instruction count per thread and
iteration, from cuobjdump's SASS (the loop is the backward branch of largest span).

    python3 loop_sizes.py BENCH_BINARY > loop_sizes.txt     # needs cuobjdump on PATH
"""

from __future__ import annotations

import re
import subprocess
import sys

KERNEL = re.compile(r"_ZN12tensorrt_llm3_v17kernels11weight_only6kernel\S*?ELi64EEELi(\d+)ELi(\d+)"
                    r"ELi128ELi128ELb0ELb0ELb0ELb0E6__half\S*")
INSTR = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(.*?);")
BRANCH = re.compile(r"BRA (0x[0-9a-f]+)")


def main(binary: str) -> None:
    usage = subprocess.run(["cuobjdump", "-res-usage", binary], capture_output=True, text=True,
                           check=True).stdout
    kernels = sorted({(int(m.group(1)), int(m.group(2)), m.group(0).rstrip(":"))
                      for m in KERNEL.finditer(usage)})
    print("M columns loop_instructions weights_per_iteration instructions_per_weight")
    for m, cols, name in kernels:
        sass = subprocess.run(["cuobjdump", "-sass", "-fun", name, binary], capture_output=True,
                              text=True, check=True).stdout
        loops = []
        for addr, text in INSTR.findall(sass):
            if b := BRANCH.search(text):
                start, end = int(b.group(1), 16), int(addr, 16)
                if start < end:
                    loops.append((end - start) // 16 + 1)
        body = max(loops)
        weights = cols * 32  # 8 or 4 columns x StepK = 32 int4 weights a thread per iteration
        print(f"{m} {cols} {body} {weights} {body / weights:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
