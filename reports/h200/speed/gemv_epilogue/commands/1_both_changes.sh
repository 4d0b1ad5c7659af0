#!/bin/bash
# CUDA-core GEMV with paired dequantization and a reduce-scatter epilogue (experiment patch), against the GEMV of the
# committed series: the GEMV's suite cases before and after with one seed (output hashes compared), the torch
# reference and both sanitizers on the patched GEMV (fp16 and bf16, both quant ops, groups 64 and 128), the GEMV's
# speed before and after at M = 1 to 15 on the eight Llama shapes, and ncu of both at M = 4.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry21; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
for d in before after ybefore yafter; do mkdir -p /tmp/b/$d; for f in $C/$d/*.xz; do g=/tmp/b/$d/$(basename $f .xz); $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $f $g; chmod +x $g; done; cp $C/$d/build_info.json /tmp/b/$d/ 2>/dev/null; done
sha256sum /tmp/b/*/w4a16SM90* > $O/sha256.txt
run gtest_before env W4A16_SEED=20261130 timeout 120 $W run /tmp/b/ybefore/w4a16SM90SimpleTest --filter '*cuda_core_gemv*' --xml $O/gtest_before.xml
run gtest_after env W4A16_SEED=20261130 timeout 120 $W run /tmp/b/yafter/w4a16SM90SimpleTest --filter '*cuda_core_gemv*' --xml $O/gtest_after.xml
run reference env W4A16_BINARY=/tmp/b/yafter/w4a16SM90SimpleTest timeout 120 $PY -m pytest py_tests/reference -p no:cacheprovider -q -k cuda_core_gemv --junitxml=$O/reference.xml
run san_memcheck timeout 100 $W sanitize /tmp/b/yafter/w4a16SM90SimpleTest --tool memcheck --filter '*cuda_core_gemv*' --log $O/san_memcheck.log
run san_racecheck timeout 100 $W sanitize /tmp/b/yafter/w4a16SM90SimpleTest --tool racecheck --filter '*decode*cuda_core_gemv*' --log $O/san_racecheck.log
cp $C/plan_gemv_pairs.json $O/
run variants timeout 150 $W lab variants --plan $O/plan_gemv_pairs.json --root /tmp/b --out $O/variants
NCU="ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details"
for v in before after; do for shape in "4 28672 8192" "4 4096 4096" "8 4096 4096"; do set -- $shape
  c="$NCU -k regex:weight_only --launch-count 1 /tmp/b/$v/w4a16SM90Bench --n $2 --k $3 --m $1 --tactics cuda_core_gemv --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
  echo "\$ $c" > $O/ncu_${v}_m$1_n$2_k$3.cmd; timeout 60 $c > $O/ncu_${v}_m$1_n$2_k$3.csv 2> $O/ncu_${v}_m$1_n$2_k$3.log; echo "ncu $v $shape exit $?"
done; done
grep -h "\"Duration\"\|Executed Instructions\"\|Issued Warp Per Scheduler\|Achieved Occupancy\|DRAM Throughput" $O/ncu_*.csv | cut -c1-12,150-330 | head -40
tail -42 $O/variants.txt; tail -3 $O/reference.txt $O/gtest_before.txt $O/gtest_after.txt $O/san_*.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
