#!/bin/bash
# (a) Full tree, fp16 scale-only, every tactic: bench on held-out weight shapes beside Machete and cuBLAS.
# (b) Slim build with the launcher-knob experiment on fixes 0002,0004,0005,0008: split-K / stream-K / data-parallel of the 256x16 and 128x16 tiles at M = 1, 16.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry14; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src && tar xzf $C/tree.tgz -C /tmp/src && tar xzf $C/machete.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/ball; K=/tmp/bknobs
run build_knobs timeout 280 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir $K --jobs 5 --tiles 256x16,128x16 --activations fp16 --quant-ops scale_only --groups 128 --kernel-fixes 0002,0004,0005,0008 --experiment-patch patches/experiments/slice-launcher-knobs.patch &
run build_full timeout 280 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 10 --tiles all --activations fp16 --quant-ops scale_only --groups 128
wait
cp $A/build_info.json $O/build_info_full.json; cp $K/build_info.json $O/build_info_knobs.json; sha256sum $A/w4a16SM90* $K/w4a16SM90* /tmp/src/machete/w4a16MacheteBench > $O/sha256.txt
S="--shape 5120,8192 --shape 8192,4096 --shape 14336,8192 --shape 8192,14336 --shape 2560,8192 --shape 8192,2048 --shape 7168,8192 --shape 8192,7168 --shape 7168,5120 --shape 5120,5120 --shape 27648,5120 --shape 5120,27648"
run bench_heldout timeout 200 $W bench --binary $A/w4a16SM90Bench --machete-binary /tmp/src/machete/w4a16MacheteBench --out $O/heldout --models qwen2.5-7b $S --dtypes fp16 --m 1,2,4,8,16,32,64,128,256,1024,4096 --budget-ms 5 --no-int4pack --time-limit 170
cp $C/plan_decomp.json $O/plan_decomp.json
run decomp timeout 110 $W lab variants --plan $O/plan_decomp.json --out $O/decomp
tail -30 $O/decomp.txt; tail -4 $O/bench_heldout.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
