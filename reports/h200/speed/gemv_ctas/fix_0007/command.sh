#!/bin/bash
# Fix 0007 (the CUDA-core GEMV with 4 columns per CTA at one token where 8 give at most 512 CTAs)
# in a full-tree build: the suite with a fixed seed (GEMV outputs compared with the unfixed
# GEMV's run of the same seed), torch reference and sanitizers on the GEMV, and its speed
# against the unfixed GEMV (the knob binary with the knob unset).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry10; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
tar xzf $C/knob_bins.tgz -C $C; tar xzf $C/fix_bins.tgz -C $C
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/fix0007/w4a16SM90* $C/knob/w4a16SM90* > $O/sha256.txt
T=$C/fix0007/w4a16SM90SimpleTest
run gtest env W4A16_SEED=20261129 timeout 120 $W run $T --xml $O/gtest.xml
run reference env W4A16_BINARY=$T timeout 100 $PY -m pytest py_tests/reference -p no:cacheprovider -q -k cuda_core_gemv --junitxml=$O/reference.xml
run san_memcheck timeout 90 $W sanitize $T --tool memcheck --filter '*cuda_core_gemv*' --log $O/san_memcheck.log
run san_racecheck timeout 90 $W sanitize $T --tool racecheck --filter '*decode*cuda_core_gemv*' --log $O/san_racecheck.log
cp $C/plan_gemv_0007.json $O/
run variants timeout 100 $W lab variants --plan $O/plan_gemv_0007.json --root $C --out $O/variants
tail -30 $O/variants.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
