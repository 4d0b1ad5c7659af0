#!/bin/bash
# The 64x256 ping-pong tile at M = 160 and 256 (Llama-2-70B down, N 8192, K 28672): Nsight Compute metrics of both, to see
# why the same tiles take longer at the smaller M. Slim build of 64x256, fp16 scale-only, the whole series.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry14; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
B=/tmp/b64
run build timeout 200 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles 64x256 --activations fp16 --quant-ops scale_only
cp $B/build_info.json $O/; sha256sum $B/w4a16SM90* > $O/sha256.txt
run profile timeout 90 $W lab profile --binary series=$B/w4a16SM90Bench --out $O/down --n 8192 --k 28672 --m 160,256 --tactics tile64x256x64_cluster1x1x1_pingpong --no-sass
tail -6 $O/profile.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
