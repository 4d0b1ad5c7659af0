#!/bin/bash
# CUDA-core GEMV: which half of the experiment patch does what. The GEMV of the committed series (before), both changes
# (after), the reduce-scatter epilogue alone and the paired dequantization alone, at M = 1 to 12 on the eight Llama
# shapes; ncu of before and after at M = 2 and 4 on Llama-2-70B down (N = 8192, K = 28672).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry22; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
for d in before after epi deq; do mkdir -p /tmp/b/$d; for f in $C/$d/*.xz; do g=/tmp/b/$d/$(basename $f .xz); $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $f $g; chmod +x $g; done; cp $C/$d/build_info.json /tmp/b/$d/; done
sha256sum /tmp/b/*/w4a16SM90* > $O/sha256.txt
cp $C/plan_gemv_split.json $O/
run variants timeout 200 $W lab variants --plan $O/plan_gemv_split.json --root /tmp/b --out $O/variants
NCU="ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details"
for v in before after; do for m in 2 4; do
  c="$NCU -k regex:^kernel --launch-count 1 /tmp/b/$v/w4a16SM90Bench --n 8192 --k 28672 --m $m --tactics cuda_core_gemv --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
  echo "\$ $c" > $O/ncu_${v}_m$m.cmd; timeout 60 $c > $O/ncu_${v}_m$m.csv 2> $O/ncu_${v}_m$m.log; echo "ncu $v m$m exit $?"
done; done
grep -h "\"Duration\"\|Registers Per Thread\|Achieved Occupancy\|DRAM Throughput\|Issued Warp Per Scheduler" $O/ncu_*.csv | cut -c1-10,200-330 | head -24
tail -62 $O/variants.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
