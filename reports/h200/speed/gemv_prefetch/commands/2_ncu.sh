#!/bin/bash
# Why the GEMV with the next K step loaded ahead is slower: the two builds of 1_prefetch.sh made again, then ncu on the
# GEMV kernel of each at M = 1 and 2 on Llama-3-8B o (4096x4096) and Llama-2-70B down (8192x28672).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
F="--tiles 64x16 --activations fp16 --quant-ops scale_only --groups 128"
run build_series timeout 200 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir /tmp/b/series --jobs 8 $F &
run build_prefetch timeout 200 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir /tmp/b/prefetch --jobs 8 $F --experiment-patch patches/experiments/tree-gemv-prefetch-next-k.patch &
wait
sha256sum /tmp/b/*/w4a16SM90Bench > $O/sha256.txt
NCU="/usr/local/cuda/bin/ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details"
for v in series prefetch; do for s in 4096,4096 8192,28672; do for m in 1 2; do
  c="$NCU -k regex:^kernel --launch-count 1 /tmp/b/$v/w4a16SM90Bench --n ${s%,*} --k ${s#*,} --m $m --tactics cuda_core_gemv --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
  f=$O/ncu_${v}_n${s%,*}_m$m; echo "\$ $c" > $f.cmd; timeout 60 $c > $f.csv 2> $f.log; echo "ncu $v $s m$m exit $?"
done; done; done
for f in $O/ncu_*.csv; do echo "== $(basename $f)"; grep -h "\"Duration\"\|Registers Per Thread\|Achieved Occupancy\|\"DRAM Throughput\"\|Issued Warp Per Scheduler\|Local Memory" $f | awk -F'","' '{print $(NF-2)" "$(NF-1)" "$NF}'; done
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
