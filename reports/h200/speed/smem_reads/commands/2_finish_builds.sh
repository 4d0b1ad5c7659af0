#!/bin/bash
# Fix 0010, continued on the same (warm) machine: the two slim builds of the previous call ran out of
# their time limit mid-compile; ninja finishes them in their build folders (same configuration, same
# overlays), then build_info.json is written for each as `w4a16 build` would have (row256_tiles: the
# 256-row tiles are compiled). Then: the suite on after; before against after at decode sizes with
# cuBLAS; the k-tile loops of both builds.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry15; O=$OUT/r; mkdir -p $O
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
G=$PWD/build/gpu6
run ninja_before timeout 370 ninja -C $G/before -j 5 &
run ninja_after timeout 370 ninja -C $G/after -j 11
wait
for v in before after; do $PY - $G/$v > $O/build_info_$v.json <<'PY'
import json, pathlib, sys
d = pathlib.Path(sys.argv[1]); m = json.loads((d / "generated" / "manifest.json").read_text()) if (d / "generated" / "manifest.json").exists() else {}
print(json.dumps({"completed_by": "ninja in the folder w4a16 build configured", "row256_tiles": True,
                  "compiled": m.get("compiled"), "not_compiled": m.get("not_compiled")}, indent=2))
PY
cp $O/build_info_$v.json $G/$v/build_info.json; done
sha256sum $G/before/w4a16SM90* $G/after/w4a16SM90* > $O/sha256.txt
run gtest timeout 100 $W run $G/after/w4a16SM90SimpleTest --xml $O/gtest.xml
cp $C/plan_decode.json $O/
run variants_decode timeout 100 $W lab variants --plan $O/plan_decode.json --root $G --out $O/variants_decode
for v in before after; do cuobjdump -sass $G/$v/w4a16SM90Bench > /tmp/$v.sass; done
$PY reports/h200/speed/smem_reads/ktile_loops.py /tmp/before.sass /tmp/after.sass > $O/ktile_loops.txt 2>&1
grep -h "cases:" $O/gtest.txt; tail -n +3 $O/ktile_loops.txt | head -40; tail -22 $O/variants_decode.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
