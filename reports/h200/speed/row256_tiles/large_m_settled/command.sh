#!/bin/bash
# Fix 0008 at large M, settled: our 128x256 and 256x128 tiles (clusters 1x1 and 2x1), vLLM's Machete and cuBLAS, fp16, M = 4096,
# every kernel replayed about 500 ms at its own power draw before it is timed.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry12; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src && tar xzf $C/tree.tgz -C /tmp/src && tar xzf $C/machete.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/blarge
run build timeout 200 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 12 --tiles 128x256,256x128 --activations fp16 --quant-ops scale_only --groups 128
cp $A/build_info.json $O/; sha256sum $A/w4a16SM90* /tmp/src/machete/w4a16MacheteBench > $O/sha256.txt
T=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile256x128x64_cluster1x1x1_coop,tile256x128x64_cluster2x1x1_coop
run settled timeout 230 $W bench --binary $A/w4a16SM90Bench --machete-binary /tmp/src/machete/w4a16MacheteBench --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 4096 --tactics $T --settle-ms 500 --budget-ms 10 --no-int4pack --time-limit 220
tail -20 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
