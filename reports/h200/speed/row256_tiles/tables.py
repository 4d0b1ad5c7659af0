"""The tables of this folder's README, from a bench.json of `w4a16 bench`.

    python3 tables.py decode BENCH_JSON   # per problem: best without the 256-row tiles, best
                                          # 256-row tile, gain, ours against Machete's best
    python3 tables.py large BENCH_JSON    # per problem: 128x256 against 256x128, cuBLAS, Machete
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _best(entries: list[dict], prefix: str = "", exclude: str | None = None) -> tuple[float, str]:
    def wanted(name: str) -> bool:
        return name.startswith(prefix) and not (exclude and name.startswith(exclude))

    return min((e["median_us"], e["tactic"]) for e in entries
               if e.get("status") == "ok" and wanted(e["tactic"]))


def decode(problems: list[dict]) -> None:
    print("| problem | M | best without 256-row tiles (us) | best 256-row tile (us) | gain | "
          "ours / Machete's best, without | with | Machete's best (us) |")
    print("| --- | ---: | --- | --- | ---: | ---: | ---: | --- |")
    for p in problems:
        old = _best(p["tactics"], exclude="tile256")
        new = _best(p["tactics"], prefix="tile256")
        after = min(old, new)
        mach = _best(p["peers"])
        short = mach[1].replace("machete_", "").replace("_TmaMI_TmaCoop_streamK", "")
        print(f"| {p['label']} | {p['m']} | {old[0]:.1f} {old[1]} | {new[0]:.1f} {new[1]} | "
              f"{old[0] / after[0]:.2f}x | {mach[0] / old[0]:.2f}x | {mach[0] / after[0]:.2f}x | "
              f"{mach[0]:.1f} {short} |")


def large(problems: list[dict]) -> None:
    print("| problem | M | best 128x256 (us) | best 256x128 (us) | 128x256 / 256x128 time | "
          "cuBLAS / ours | Machete's best / ours |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for p in problems:
        wide = _best(p["tactics"], prefix="tile128x256")
        tall = _best(p["tactics"], prefix="tile256x128")
        ours = min(wide, tall)
        print(f"| {p['label']} | {p['m']} | {wide[0]:.1f} | {tall[0]:.1f} | "
              f"{wide[0] / tall[0]:.3f} | {p['cublas']['median_us'] / ours[0]:.3f} | "
              f"{_best(p['peers'])[0] / ours[0]:.3f} |")


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    {"decode": decode, "large": large}[kind](json.loads(Path(path).read_text())["problems"])
