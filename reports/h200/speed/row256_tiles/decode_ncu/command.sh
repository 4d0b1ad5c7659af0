#!/bin/bash
# Why the 256-row decode tile stops at ~64% of the memory floor: Nsight Compute metrics of 256x16 and 128x16 (the whole
# series) on Llama-2-70B gate_up (N 28672, K 8192) and down (N 8192, K 28672) at M = 16, and the SASS counts.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry14; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
B=/tmp/bprof
run build timeout 200 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles 256x16,128x16 --activations fp16 --quant-ops scale_only
cp $B/build_info.json $O/; sha256sum $B/w4a16SM90* > $O/sha256.txt
T=tile256x16x64_cluster1x1x1_coop,tile128x16x64_cluster1x1x1_coop
run profile_gate_up timeout 150 $W lab profile --binary series=$B/w4a16SM90Bench --out $O/gate_up --n 28672 --k 8192 --m 16 --tactics $T
run profile_down timeout 150 $W lab profile --binary series=$B/w4a16SM90Bench --out $O/down --n 8192 --k 28672 --m 16 --tactics $T --no-sass
tail -25 $O/profile_gate_up.txt; tail -8 $O/profile_down.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
