#!/bin/bash
# Fix 0017 (raster along the weights' rows): slim builds made on the CPU machine, tiles 128x256, 256x128 and 128x128,
# every cluster, fp16 scale-only; "after" = the whole series, "before" = the series without 0017.
# (a) correctness of "after": suite, torch reference, memcheck on wide_k (256 to 512 tiles, 16 token blocks: the case whose tile order the fix changes most);
# (b) same seed, both test binaries: the suite's output hashes, before against after;
# (c) `w4a16 lab variants`: before then after on each shape, M = 256 to 4096, every kernel settled 1000 ms.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry40; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
for v in b16 b17; do mkdir -p /tmp/$v; for b in w4a16SM90Bench w4a16SM90SimpleTest; do unxz $C/$v/$b.xz /tmp/$v/$b; done; cp $C/$v/build_info.json $O/build_info_$v.json; done
sha256sum /tmp/b1?/w4a16SM90* > $O/sha256.txt; cp $C/plan_before_after.json $O/
T=/tmp/b17/w4a16SM90SimpleTest
run suite timeout 150 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run memcheck timeout 100 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/wide_k__*' --log $O/memcheck.log
run hash_before env W4A16_SEED=20261130 timeout 120 $W run /tmp/b16/w4a16SM90SimpleTest --xml $O/hash_before.xml
run hash_after env W4A16_SEED=20261130 timeout 120 $W run $T --xml $O/hash_after.xml
$PY - $O/hash_before.xml $O/hash_after.xml > $O/hash_compare.txt 2>&1 <<'PYEOF'
import sys, xml.etree.ElementTree as ET
def hashes(p):
    out = {}
    for tc in ET.parse(p).iter("testcase"):
        for pr in tc.iter("property"):
            if pr.get("name") == "output_hash":
                out[tc.get("classname", "") + "." + tc.get("name")] = pr.get("value")
    return out
a, b = hashes(sys.argv[1]), hashes(sys.argv[2])
common = sorted(set(a) & set(b)); diff = [k for k in common if a[k] != b[k]]
print(f"cases with an output hash: before {len(a)}, after {len(b)}, both {len(common)}; equal {len(common) - len(diff)}, different {len(diff)}")
for k in diff: print("different:", k)
PYEOF
cat $O/hash_compare.txt | head -20
run variants timeout 330 $W lab variants --plan $O/plan_before_after.json --out $O/variants
tail -n 2 $O/suite.txt $O/reference.txt $O/memcheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
tar xzf $OUT/r.tgz -O r/variants.txt | tail -36
