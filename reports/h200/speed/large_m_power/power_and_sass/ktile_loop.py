"""ktile_loop.py SASS_GZ NAME_PART... : print the steady-state k-tile loop of the one function
in a sass_hist.py dump whose mangled name holds every NAME_PART, and its opcode counts.

The loop is the span of the backward branch that encloses the function's second group of
four HGMMA (the first group is the peeled first k-tile)."""

import collections
import gzip
import re
import sys

path, *parts = sys.argv[1:]
funcs: dict[str, list[str]] = {}
name = ""
with gzip.open(path, "rt") as dump:
    for line in dump:
        if line.startswith("Function : "):
            name = line[11:].strip()
            funcs[name] = []
            continue
        funcs[name].append(line)
(fname,) = [n for n in funcs if all(p in n for p in parts)]
ins = []
for line in funcs[fname]:
    m = re.match(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;", line)
    if m:
        ins.append((int(m.group(1), 16), m.group(2)))
hgmma = [a for a, t in ins if "HGMMA" in t]
first, last = hgmma[4], hgmma[7]
start = end = -1
for a, t in ins:
    target = re.search(r"BRA (?:`\()?.*?0x([0-9a-f]+)", t)
    if a > last and "BRA" in t and target and int(target.group(1), 16) <= first:
        start, end = int(target.group(1), 16), a
        break
body = [t for a, t in ins if start <= a <= end]
ops = collections.Counter(re.sub(r"^@!?U?P\w+\s+", "", t).split()[0].split(".")[0] for t in body)
print("\n".join(body))
print(f"# {len(body)} instructions from {start:#x} to {end:#x}:",
      ", ".join(f"{k} {v}" for k, v in ops.most_common()))
