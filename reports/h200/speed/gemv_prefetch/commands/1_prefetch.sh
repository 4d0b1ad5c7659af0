#!/bin/bash
# The CUDA-core GEMV loading its next K step's weights ahead (patches/experiments/tree-gemv-prefetch-next-k.patch):
# two builds on the GPU machine (the series 0002 to 0013, and the same with the experiment; tile 64x16, fp16
# scale-only, GEMV group 128), the GEMV alone timed one build after the other on the eight Llama shapes at M = 1 to
# 15; then the suite's GEMV cases on both builds with one seed (output hashes), and on the experiment's build the
# GEMV torch reference (pairwise cases and one case per M = 1..15) and memcheck.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
F="--tiles 64x16 --activations fp16 --quant-ops scale_only --groups 128"
run build_series timeout 200 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir /tmp/b/series --jobs 8 $F &
run build_prefetch timeout 200 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir /tmp/b/prefetch --jobs 8 $F --experiment-patch patches/experiments/tree-gemv-prefetch-next-k.patch &
wait
for d in series prefetch; do cp /tmp/b/$d/build_info.json $O/build_info_$d.json; done; sha256sum /tmp/b/*/w4a16SM90* > $O/sha256.txt
cp reports/h200/speed/gemv_prefetch/commands/plan_gemv_prefetch.json $O/
run variants timeout 150 $W lab variants --plan $O/plan_gemv_prefetch.json --root /tmp/b --out $O/variants
T=/tmp/b/prefetch/w4a16SM90SimpleTest
run gemv_suite_series env W4A16_SEED=20261130 timeout 60 $W run /tmp/b/series/w4a16SM90SimpleTest --filter '*cuda_core_gemv*' --xml $O/gemv_suite_series.xml
run gemv_suite_prefetch env W4A16_SEED=20261130 timeout 60 $W run $T --filter '*cuda_core_gemv*' --xml $O/gemv_suite_prefetch.xml
run reference env W4A16_BINARY=$T timeout 90 $PY -m pytest py_tests/reference -p no:cacheprovider -q -k 'cuda_core_gemv or test_gemv_every_m' --junitxml=$O/reference.xml
run san_memcheck timeout 90 $W sanitize $T --tool memcheck --filter '*cuda_core_gemv*' --log $O/san_memcheck.log
tail -n 40 $O/variants.txt; for f in $O/gemv_suite_prefetch.txt $O/reference.txt $O/san_memcheck.txt; do tail -n 2 $f; done; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
