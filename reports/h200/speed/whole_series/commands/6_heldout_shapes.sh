#!/bin/bash
# The whole series, full tree (the binaries of call 1), on the 16 weight shapes fix 0009 was not fitted to (Qwen2.5-7B,
# Llama-2-70B over 2 and 4 GPUs, Qwen2.5-32B): every tactic and the GEMV beside Machete and cuBLAS fp16 at M = 1 to 128,
# fp16, int4 group 128, in the bench's order.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry18; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ftall; mkdir -p $B; gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench
gunzip -c $C/w4a16SM90Bench.gz > $B/w4a16SM90Bench && chmod +x $B/w4a16SM90Bench; cp $C/build_info.json $B/
sha256sum $B/w4a16SM90Bench /tmp/w4a16MacheteBench > $O/sha256.txt
S="--shape 5120,8192 --shape 8192,4096 --shape 14336,8192 --shape 8192,14336 --shape 2560,8192 --shape 8192,2048 --shape 7168,8192 --shape 8192,7168 --shape 7168,5120 --shape 5120,5120 --shape 27648,5120 --shape 5120,27648"
run bench_heldout timeout 300 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/w4a16MacheteBench --out $O/heldout --models qwen2.5-7b $S --dtypes fp16 --m 1,2,3,4,5,6,8,12,16,32,64,128 --budget-ms 5 --no-int4pack --time-limit 270
tail -4 $O/bench_heldout.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
