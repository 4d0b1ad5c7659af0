#!/bin/bash
# Is 64x256 really slower at M = 192 than at 256? The 64- and 128-row tiles 128 and 256 tokens wide and 256x128, at
# M = 160, 192, 224, 256 on the eight Llama-3-8B and Llama-2-70B projections, every kernel settled 200 ms (slim build).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry14; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/bmid
run build timeout 240 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles 64x128,64x256,128x128,128x256,256x128 --activations fp16 --quant-ops scale_only
cp $B/build_info.json $O/; sha256sum $B/w4a16SM90* > $O/sha256.txt
run bench timeout 240 $W bench --binary $B/w4a16SM90Bench --out $O/bench --models llama3-8b,llama2-70b --dtypes fp16 --m 160,192,224,256 --budget-ms 5 --settle-ms 200 --no-int4pack --time-limit 200
tail -4 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
