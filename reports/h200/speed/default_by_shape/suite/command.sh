#!/bin/bash
# Fix 0009 (default config from the whole problem): full-tree build of the five tiles the rule picks for the suite's cases
# (64x16, 64x128, 128x16, 128x256, 256x16), fp16 and bf16 x scale-only and scale+zeros; the suite; memcheck on the default
# config's cases whose pick is a 64- or 256-row tile; the tool's picks for those cases.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry14; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src && tar xzf $C/tree.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
B=/tmp/bdef
run build timeout 330 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles 64x16,64x128,128x16,128x256,256x16 --activations fp16,bf16 --quant-ops scale_only,scale_zeros --groups 128
cp $B/build_info.json $O/; sha256sum $B/w4a16SM90* > $O/sha256.txt
for s in 4096,4096,128:1 6144,4096,64:7 4096,14336,128:16 14336,4096,64:16 8192,8192,128:128 1024,4096,64:128 4096,4096,128:1000 8192,28672,128:1 10240,8192,128:16 264,512,64:7; do echo "${s%%:*} m=${s##*:}: $($B/w4a16SM90Tool --w4a16_default_config=${s%%:*},132:${s##*:})"; done > $O/tool_picks.txt 2>&1
run gtest timeout 120 $W run $B/w4a16SM90SimpleTest --xml $O/gtest.xml
F='AllCases/GPU_DefaultConfig.*/decode_square*:AllCases/GPU_DefaultConfig.*/qkv8b*:AllCases/GPU_DefaultConfig.*/o70b*:AllCases/GPU_DefaultConfig.*/kv8b*:AllCases/GPU_DefaultConfig.*/ragged_n*:AllCases/GPU_DefaultConfig.*/down70b_decode*:AllCases/GPU_DefaultConfig.*/qkv70b_decode*'
run san_memcheck timeout 150 $W sanitize $B/w4a16SM90SimpleTest --tool memcheck --filter "$F" --log $O/san_memcheck.log
cat $O/tool_picks.txt; grep -h "cases:" $O/gtest.txt; grep -h "GPU_DefaultConfig" $O/gtest.txt | head -20; tail -3 $O/san_memcheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
