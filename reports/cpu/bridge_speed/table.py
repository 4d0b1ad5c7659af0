"""Print the bridge-speed table of harness_idle_floors.jsonl (milliseconds in, ratios out)."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    print("| second core | (b) bridge | (c) one process per case | (e) empty | (f) idle, lean |"
          " (f) idle, full | (b - f_lean) / case | judged (c - f_full) / (b - f_lean) |"
          " (c - e) / (b - e) | ceiling (c - e) / (f_lean - e) | c / b |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for line in (HERE / "harness_idle_floors.jsonl").read_text().splitlines():
        t = json.loads(line)
        b, c, e = t["b_bridge"], t["c_one_process_per_case"], t["e_empty_session"]
        lean, full = t["f_lean_idle_items"], t["f_full_idle_items"]
        print(f"| {t['second_core']} | {b:.0f} | {c:.0f} | {e:.0f} | {lean:.0f} | {full:.0f} |"
              f" {(b - lean) / t['cases']:.3f} | {(c - full) / (b - lean):.1f}x |"
              f" {(c - e) / (b - e):.1f}x | {(c - e) / (lean - e):.1f}x | {c / b:.1f}x |")


if __name__ == "__main__":
    main()
