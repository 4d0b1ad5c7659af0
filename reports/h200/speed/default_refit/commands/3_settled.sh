#!/bin/bash
# The picks that fix 0013 changes at M = 48, settled: the three 64-token candidates (64-row ping-pong, 128- and
# 256-row cooperative, cluster 1x1) at M = 48 and 64, every kernel settled 1000 ms, on the six weight shapes where
# 0013's pick differs from 0009's. Build of those tiles only, the series 0002 to 0013, on the GPU machine.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/b13s
run build timeout 240 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 14 --tiles 64x64,128x64,256x64 --activations fp16 --quant-ops scale_only --groups 128
cp $A/build_info.json $O/build_info.json; sha256sum $A/w4a16SM90* > $O/sha256.txt
T=tile64x64x64_cluster1x1x1_pingpong,tile128x64x64_cluster1x1x1_coop,tile256x64x64_cluster1x1x1_coop
S="--shape 10240,8192 --shape 8192,8192 --shape 7168,8192 --shape 5120,27648 --shape 8192,14336 --shape 14336,8192"
run settled timeout 300 $W bench --binary $A/w4a16SM90Bench --out $O/settled $S --dtypes fp16 --m 48,64 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack
for s in 10240,8192 8192,8192 7168,8192 5120,27648 8192,14336 14336,8192; do echo "$s: $($A/w4a16SM90Tool --w4a16_default_config=$s,128,132:48,64 | tr '\n' ' ')"; done > $O/tool_picks.txt 2>&1
cat $O/tool_picks.txt; tail -n 3 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
