#!/bin/bash
# The w4a16 mainloop with one more wgmma in flight (experiment patch): correctness of the patched
# build (suite, torch reference, sanitizers), its k-tile loop, and its speed against the build
# without it (large M settled, decode sizes with cuBLAS).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry7; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/before/w4a16SM90* $C/after/w4a16SM90* > $O/sha256.txt
A=$C/after/w4a16SM90SimpleTest
run gtest timeout 150 $W run $A --xml $O/gtest.xml
cp $C/plan_large_m.json $C/plan_decode.json $O/
run variants_large_m timeout 150 $W lab variants --plan $O/plan_large_m.json --root $C --out $O/variants_large_m
R=reports/h200/speed/large_m_power/power_and_sass
for v in before after; do cuobjdump -sass $C/$v/w4a16SM90Bench > /tmp/$v.sass; $PY $R/sass_hist.py /tmp/$v.sass /tmp/sass_$v device_kernel > /dev/null; cp /tmp/sass_$v.json $O/sass_$v.json
  $PY $R/ktile_loop.py /tmp/sass_$v.sass.gz "KernelTmaWarpSpecializedCooperativeEEENS5_IJNSA_ILi128EEENSA_ILi256EEENSA_ILi64EEEEE" "CILi1EEESB_SB_EEE" > $O/$v.ktile_loop.sass 2>&1; tail -n 1 $O/$v.ktile_loop.sass; done
run reference env W4A16_BINARY=$A timeout 120 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 75 $W sanitize $A --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*:AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_memcheck.log
run variants_decode timeout 60 $W lab variants --plan $O/plan_decode.json --root $C --out $O/variants_decode
run san_racecheck timeout 60 $W sanitize $A --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/san_racecheck.log
tail -30 $O/variants_large_m.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
