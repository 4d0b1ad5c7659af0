#!/bin/bash
# Fix 0008 (256-row tiles) on the full tree: build fp16 x {scale_only, scale_zeros} for the 128- and 256-row decode tiles,
# then the suite, memcheck on the new tiles, and the bench beside vLLM's Machete at M = 1 to 128.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry12; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src && tar xzf $C/tree.tgz -C /tmp/src && tar xzf $C/machete.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/b8
run build timeout 300 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles 128x16,128x32,128x64,128x128,256x16,256x32,256x64,256x128 --activations fp16 --quant-ops scale_only,scale_zeros --groups 128
cp $B/build_info.json $O/ ; sha256sum $B/w4a16SM90* /tmp/src/machete/w4a16MacheteBench > $O/sha256.txt
cuobjdump -res-usage $B/w4a16SM90Bench 2>/dev/null | grep -A1 "Function" > $O/res_usage.txt
run gtest timeout 120 $W run $B/w4a16SM90SimpleTest --xml $O/gtest.xml
F='AllCases/GPU_Tactic.MatchesReference/*_g128_*tile256x16x64_cluster1x1x1*:AllCases/GPU_Tactic.MatchesReference/*_g128_*tile256x64x64_cluster2x1x1*:AllCases/GPU_Tactic.MatchesReference/*_g128_*tile256x128x64_cluster1x1x1*-*big_square*:*prefill*:*o70b_m128*:*qkv70b_m1000*:*wide_k*'
run san_memcheck timeout 60 $W sanitize $B/w4a16SM90SimpleTest --tool memcheck --filter "$F" --log $O/san_memcheck.log
run bench timeout 200 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/src/machete/w4a16MacheteBench --out $O/bench --models llama3-8b,llama2-70b --dtypes fp16 --m 4,8,16,32,64,128 --budget-ms 5 --no-int4pack --time-limit 190
grep -h "cases:\|passed\|failed" $O/gtest.txt | tail -3; grep -h "ERROR SUMMARY" $O/san_memcheck.* | tail -2; tail -22 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
