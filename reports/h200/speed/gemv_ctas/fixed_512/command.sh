#!/bin/bash
# TensorRT-LLM's CUDA-core GEMV with enough CTAs at up to 4 tokens (experiment patch, full tree):
# correctness of the patched build (suite, outputs against the unpatched build, torch
# reference, sanitizers), its speed against the unpatched GEMV, and the default bench path.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry8; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
tar xzf $C/bins.tgz -C $C
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/before/w4a16SM90* $C/after/w4a16SM90* > $O/sha256.txt
A=$C/after/w4a16SM90SimpleTest
run gtest_after timeout 150 $W run $A --xml $O/gtest_after.xml
run gtest_before timeout 100 $W run $C/before/w4a16SM90SimpleTest --xml $O/gtest_before.xml
cp $C/plan_gemv.json $O/
run variants timeout 120 $W lab variants --plan $O/plan_gemv.json --root $C --out $O/variants
run reference env W4A16_BINARY=$A timeout 120 $PY -m pytest py_tests/reference -p no:cacheprovider -q -k cuda_core_gemv --junitxml=$O/reference.xml
run san_memcheck timeout 90 $W sanitize $A --tool memcheck --filter '*cuda_core_gemv*' --log $O/san_memcheck.log
run san_racecheck timeout 90 $W sanitize $A --tool racecheck --filter '*decode*cuda_core_gemv*:*qkv8b*cuda_core_gemv*' --log $O/san_racecheck.log
run bench_default timeout 100 $W bench --binary $C/after/w4a16SM90Bench --out $O/bench_default --quick --no-int4pack --budget-ms 5
tail -60 $O/variants.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
