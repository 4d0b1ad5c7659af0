#!/bin/bash
# Fix 0008 (256-row tiles), full tree, the whole series: (a) fp16 scale-only with every tactic (64-, 128- and 256-row), its suite
# and the bench beside vLLM's Machete at M = 1 to 128 and 1024, 4096; (b) bf16 x {scale_only, scale_zeros} for the 256-row tiles, its suite.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry12; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src && tar xzf $C/tree.tgz -C /tmp/src && tar xzf $C/machete.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/ball; Bf=/tmp/bbf16
run build_fp16 timeout 270 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 12 --tiles all --activations fp16 --quant-ops scale_only --groups 128
run build_bf16 timeout 200 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $Bf --jobs 12 --tiles 256x16,256x32,256x64,256x128 --activations bf16 --quant-ops scale_only,scale_zeros --groups 128
cp $A/build_info.json $O/build_info_fp16.json; cp $Bf/build_info.json $O/build_info_bf16.json; sha256sum $A/w4a16SM90* $Bf/w4a16SM90* /tmp/src/machete/w4a16MacheteBench > $O/sha256.txt
run gtest_fp16 timeout 100 $W run $A/w4a16SM90SimpleTest --xml $O/gtest_fp16.xml
run gtest_bf16 timeout 100 $W run $Bf/w4a16SM90SimpleTest --xml $O/gtest_bf16.xml
run bench timeout 150 $W bench --binary $A/w4a16SM90Bench --machete-binary /tmp/src/machete/w4a16MacheteBench --out $O/bench --models llama3-8b,llama2-70b --dtypes fp16 --m 1,2,4,8,16,32,64,128,1024,4096 --budget-ms 5 --no-int4pack --time-limit 140
grep -h "cases:" $O/gtest_*.txt; tail -12 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
