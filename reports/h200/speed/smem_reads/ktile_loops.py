"""ktile_loops.py SASS [SASS ...] : the steady-state k-tile loop of every w4a16 kernel in `cuobjdump -sass`
dumps, as instructions per consumer thread per k-tile, named like the bench's tactics.

The k-tile loop is the innermost backward branch whose body issues HGMMAs. The tile comes from the
kernel's mangled name: the schedule (Cooperative: two consumer warpgroups, Pingpong: one per tile), the
int4 swizzle atom (Swizzle<1,4,3> at a 64-deep K tile, Swizzle<2,4,3> at 128), the HGMMA width (tokens)
and the HGMMAs per loop (64-row wgmma tiles times 16-deep k-blocks). Prints one JSON object per dump:
{tactic/activation/quant: {"instructions": n, "hgmma": n, "lds": n}}, then, with two dumps, a table of
the first against the second."""

import json
import re
import sys

FUNC = re.compile(r"\s*Function : (\S+)")
INSTR = re.compile(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
TARGET = re.compile(r"BRA (?:`\()?.*?0x([0-9a-f]+)")
CLUSTER = re.compile(r"MixedInputILi\d+ENS5_IJNS4_1CILi(\d)EEE(NSA_ILi(\d)EEE|S[BC]_)")


def functions(path: str) -> dict[str, list[tuple[int, str]]]:
    funcs: dict[str, list[tuple[int, str]]] = {}
    name = None
    with open(path, errors="replace") as dump:
        for line in dump:
            m = FUNC.match(line)
            if m:
                name = m.group(1)
                funcs[name] = []
                continue
            m = INSTR.match(line)
            if m and name is not None:
                funcs[name].append((int(m.group(1), 16), m.group(2)))
    return funcs


def ktile_loop(ins: list[tuple[int, str]]) -> list[str] | None:
    best = None
    for addr, text in ins:
        t = TARGET.search(text)
        if "BRA" in text and t and int(t.group(1), 16) < addr:
            body = [x for a, x in ins if int(t.group(1), 16) <= a <= addr]
            if any("HGMMA" in x for x in body) and (best is None or len(body) < len(best)):
                best = body
    return best


def tactic(name: str, body: list[str]) -> str | None:
    if "MixedInput" not in name or "integer_subbyteILi4E" not in name:
        return None
    coop = "Cooperative" in name
    k = 128 if "SwizzleILi2ELi4ELi3E" in name.split("SM90_TMA_LOAD", 1)[-1][:200] else 64
    hgmma = [x for x in body if x.startswith("HGMMA")]
    n = int(re.search(r"HGMMA\.64x(\d+)x16", hgmma[0]).group(1))
    m = 64 * (len(hgmma) // (k // 16)) * (2 if coop else 1)
    c = CLUSTER.search(name)
    a = c.group(1)
    b = c.group(3) or a
    act = "bf16" if "bfloat16_t" in name.split("integer_subbyteILi4E", 1)[1][:40] else "fp16"
    quant = "scale_only" if re.match(r"Lb0EEENS_\d+\w+?_tEEEE", name.split("integer_subbyteILi4E", 1)[1]) else "scale_zeros"
    return f"tile{m}x{n}x{k}_cluster{a}x{b}x1_{'coop' if coop else 'pingpong'}/{act}/{quant}"


def loops(path: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, ins in functions(path).items():
        body = ktile_loop(ins)
        key = tactic(name, body) if body else None
        if key:
            out[key] = {"instructions": len(body), "hgmma": sum(x.startswith("HGMMA") for x in body),
                        "lds": sum(x.startswith("LDS") for x in body)}
    return dict(sorted(out.items()))


if __name__ == "__main__":
    results = [loops(p) for p in sys.argv[1:]]
    for r in results:
        print(json.dumps(r))
    if len(results) == 2:
        first, second = results
        print(f"{'kernel':58} {'first':>6} {'second':>6} {'ratio':>6}  HGMMA  LDS first/second")
        for key in sorted(first.keys() & second.keys()):
            f, s = first[key], second[key]
            print(f"{key:58} {f['instructions']:6} {s['instructions']:6} {s['instructions'] / f['instructions']:6.3f}"
                  f"  {f['hgmma']:5}  {f['lds']}/{s['lds']}")
