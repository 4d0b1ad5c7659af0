"""Split cuobjdump -sass output by function; write opcode histograms of the functions whose
names hold every given substring."""
import collections, gzip, json, re, sys

path, out, *wanted = sys.argv[1:]
funcs: dict[str, list[str]] = {}
name = None
for line in open(path, errors="replace"):
    m = re.match(r"\s*Function : (\S+)", line)
    if m:
        name = m.group(1); funcs[name] = []; continue
    if name is not None:
        funcs[name].append(line)
res = {}
keep = []
for n, lines in funcs.items():
    if not any(all(w in n for w in group.split("+")) for group in wanted):
        continue
    ops = collections.Counter()
    for l in lines:
        m = re.match(r"\s*/\*[0-9a-f]{4,}\*/\s+(@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)", l)
        if m:
            ops[m.group(2).split(".")[0]] += 1
    res[n] = dict(ops.most_common())
    keep.append((n, lines))
json.dump(res, open(out + ".json", "w"), indent=1)
with gzip.open(out + ".sass.gz", "wt") as f:
    for n, lines in keep:
        f.write("Function : " + n + "\n"); f.writelines(lines)
print(out, len(funcs), "functions,", len(res), "kept")
