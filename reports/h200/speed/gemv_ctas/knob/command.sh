#!/bin/bash
# TensorRT-LLM's CUDA-core GEMV with more, narrower CTAs at up to 4 tokens (experiment knob
# W4A16_X_GEMV_MIN_CTAS, one full-tree binary): the suite with the knob off and forced on
# (outputs compared), torch reference and sanitizers forced on, then the GEMV's speed with
# the knob at 1024, 2048 and 4096 CTAs against the shipped choice.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry9; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
tar xzf $C/bins.tgz -C $C
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/knob/w4a16SM90* > $O/sha256.txt
T=$C/knob/w4a16SM90SimpleTest
run gtest_shipped env W4A16_SEED=20261129 timeout 100 $W run $T --xml $O/gtest_shipped.xml
run gtest_forced env W4A16_SEED=20261129 W4A16_X_GEMV_MIN_CTAS=1000000 timeout 100 $W run $T --xml $O/gtest_forced.xml
run reference_forced env W4A16_X_GEMV_MIN_CTAS=1000000 W4A16_BINARY=$T timeout 100 $PY -m pytest py_tests/reference -p no:cacheprovider -q -k cuda_core_gemv --junitxml=$O/reference_forced.xml
run san_memcheck env W4A16_X_GEMV_MIN_CTAS=1000000 timeout 90 $W sanitize $T --tool memcheck --filter '*cuda_core_gemv*' --log $O/san_memcheck.log
run san_racecheck env W4A16_X_GEMV_MIN_CTAS=1000000 timeout 90 $W sanitize $T --tool racecheck --filter '*decode*cuda_core_gemv*' --log $O/san_racecheck.log
cp $C/plan_gemv_knob.json $O/
run variants timeout 150 $W lab variants --plan $O/plan_gemv_knob.json --root $C --out $O/variants
tail -45 $O/variants.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
