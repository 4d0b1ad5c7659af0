"""The main loop of each GEMV kernel in the bench binary: its instruction count per thread and
iteration, from cuobjdump's SASS. The loop is found the way `w4a16 lab profile` finds a CUTLASS
kernel's k-tile loop (`w4a16.lab.profile.loop_body`): here the innermost loop that loads from
global memory (LDG). Run from the repository root, with cuobjdump on PATH:

    PYTHONPATH=scripts python3 reports/cpu/gemv_registers/loop_sizes.py BENCH_BINARY \
        > reports/cpu/gemv_registers/loop_sizes.txt
"""

from __future__ import annotations

import re
import subprocess
import sys

from w4a16.lab.profile import loop_body, parse_sass

KERNEL = re.compile(r"_ZN12tensorrt_llm3_v17kernels11weight_only6kernel\S*?ELi64EEELi(\d+)ELi(\d+)"
                    r"ELi128ELi128ELb0ELb0ELb0ELb0E6__half\S*")


def main(binary: str) -> None:
    usage = subprocess.run(["cuobjdump", "-res-usage", binary], capture_output=True, text=True,
                           check=True).stdout
    kernels = sorted({(int(m.group(1)), int(m.group(2)), m.group(0).rstrip(":"))
                      for m in KERNEL.finditer(usage)})
    print("M columns loop_instructions weights_per_iteration instructions_per_weight")
    for m, cols, name in kernels:
        sass = subprocess.run(["cuobjdump", "-sass", "-fun", name, binary], capture_output=True,
                              text=True, check=True).stdout
        ((_, code),) = parse_sass(sass)
        body = loop_body(code, "LDG")
        if body is None:
            raise SystemExit(f"no loop with a global load in {name}")
        weights = cols * 32  # 8 or 4 columns x StepK = 32 int4 weights a thread per iteration
        print(f"{m} {cols} {len(body)} {weights} {len(body) / weights:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
