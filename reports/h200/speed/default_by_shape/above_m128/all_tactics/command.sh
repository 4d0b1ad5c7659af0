#!/bin/bash
# Fix 0009's model above M = 128: every tactic at M = 192 and 256 on the eight Llama-3-8B and Llama-2-70B projections,
# beside Machete and cuBLAS (slim build of every tile, fp16 scale-only, the whole series).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry14; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src && tar xzf $C/machete.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ball
run build timeout 300 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles all --activations fp16 --quant-ops scale_only
cp $B/build_info.json $O/; sha256sum $B/w4a16SM90* /tmp/src/machete/w4a16MacheteBench > $O/sha256.txt
run bench timeout 150 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/src/machete/w4a16MacheteBench --out $O/bench --models llama3-8b,llama2-70b --dtypes fp16 --m 192,256 --budget-ms 5 --no-int4pack --time-limit 120
tail -4 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
