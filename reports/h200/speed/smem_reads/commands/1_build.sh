#!/bin/bash
# Fix 0010 (w4a16 shared-memory reads from per-thread stage-0 addresses): slim builds of six tiles
# (64x16, 64x128, 128x16, 128x256, 256x16, 256x64) of the series without it (before: fp16 scale-only)
# and with it (after: fp16 and bf16, scale-only and scale+zeros); the suite on after; before against
# after on the eight Llama shapes (decode sizes, with cuBLAS); the k-tile loops of both builds.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry15; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
G=$PWD/build/gpu6; T=64x16,64x128,128x16,128x256,256x16,256x64; mkdir -p $G
F="--slice --no-run --offline --gtest-src /tmp/src/googletest"
run build_before timeout 330 $W build $F --build-dir $G/before --jobs 4 --tiles $T --activations fp16 --quant-ops scale_only --kernel-fixes 0002,0003,0004,0005,0006,0008,0009 &
run build_after timeout 330 $W build $F --build-dir $G/after --jobs 12 --tiles $T
wait
for v in before after; do cp $G/$v/build_info.json $O/build_info_$v.json; done
sha256sum $G/before/w4a16SM90* $G/after/w4a16SM90* > $O/sha256.txt
run gtest timeout 120 $W run $G/after/w4a16SM90SimpleTest --xml $O/gtest.xml
cp $C/plan_decode.json $O/
run variants_decode timeout 110 $W lab variants --plan $O/plan_decode.json --root $G --out $O/variants_decode
for v in before after; do cuobjdump -sass $G/$v/w4a16SM90Bench > /tmp/$v.sass; done
$PY reports/h200/speed/smem_reads/ktile_loops.py /tmp/before.sass /tmp/after.sass > $O/ktile_loops.txt 2>&1
grep -h "cases:" $O/gtest.txt; tail -n +3 $O/ktile_loops.txt | head -40; tail -22 $O/variants_decode.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
