#!/bin/bash
# Under Nsight Compute at large M: the 128x256 tactic with 2x1 clusters of slim builds (flashinfer slice, 128x256 tiles,
# fp16 scale-only) of the series without 0014 (before) and with it (after), and Machete's 128x256 schedule; one launch
# each at M = 4096, N = K = 8192 and at M = 512, N = 28672, K = 8192 (int4 group 128), the card's own clocks, the same
# sections for all three.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
G=/tmp/n14; SEL="--slice --no-run --offline --gtest-src /tmp/src/googletest --tiles 128x256 --activations fp16 --quant-ops scale_only --jobs 8"
run build_before timeout 240 $W build $SEL --build-dir $G/before --kernel-fixes 0002,0003,0004,0005,0006,0008,0009,0010,0012,0013 &
run build_after timeout 240 $W build $SEL --build-dir $G/after
wait
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench; cp $C/machete/build_info_machete.json $O/
for v in before after; do cp $G/$v/build_info.json $O/build_info_$v.json; done
sha256sum $G/before/w4a16SM90Bench $G/after/w4a16SM90Bench /tmp/w4a16MacheteBench > $O/sha256.txt
NCU="ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details"
for shape in "4096 8192 8192" "512 28672 8192"; do set -- $shape; m=$1; n=$2; k=$3
  for v in before after; do
    c="$NCU -k regex:device_kernel --launch-count 1 $G/$v/w4a16SM90Bench --n $n --k $k --m $m --tactics tile128x256x64_cluster2x1x1_coop --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
    echo "\$ $c" > $O/${v}_m$m.cmd; timeout 90 $c > $O/${v}_m$m.csv 2> $O/${v}_m$m.log; echo "$v m$m exit $?"
  done
  c="$NCU -k regex:device_kernel --launch-count 2 /tmp/w4a16MacheteBench --n $n --k $k --m $m --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
  echo "\$ $c" > $O/machete_m$m.cmd; timeout 90 $c > $O/machete_m$m.csv 2> $O/machete_m$m.log; echo "machete m$m exit $?"
done
grep -h "^exit" $O/*.txt; grep -h "\"Duration\"\|\"Executed Instructions\"\|\"Issued Warp Per Scheduler\"" $O/*.csv | cut -c1-12,150-330 | head -24
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
