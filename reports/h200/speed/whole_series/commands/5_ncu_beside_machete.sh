#!/bin/bash
# The whole series, full tree (the bench binary of call 1) beside Machete under Nsight Compute: our best 128x256 tactic
# and Machete's 128x256 schedule, one launch each at M = 4096, N = K = 8192 and at M = 512, N = 28672, K = 8192 (fp16,
# int4 group 128), the card's own clocks, the same sections for both.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry18; O=$OUT/r; mkdir -p $O
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ftall; mkdir -p $B; gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench
gunzip -c $C/w4a16SM90Bench.gz > $B/w4a16SM90Bench && chmod +x $B/w4a16SM90Bench; cp $C/build_info.json $B/
sha256sum $B/w4a16SM90Bench /tmp/w4a16MacheteBench > $O/sha256.txt
NCU="ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details"
for shape in "4096 8192 8192" "512 28672 8192"; do set -- $shape; m=$1; n=$2; k=$3
  c="$NCU -k regex:device_kernel --launch-count 1 $B/w4a16SM90Bench --n $n --k $k --m $m --tactics tile128x256x64_cluster2x1x1_coop --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
  echo "\$ $c" > $O/ours_m$m.cmd; timeout 120 $c > $O/ours_m$m.csv 2> $O/ours_m$m.log; echo "ours m$m exit $?"
  c="$NCU -k regex:device_kernel --launch-count 2 /tmp/w4a16MacheteBench --n $n --k $k --m $m --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
  echo "\$ $c" > $O/machete_m$m.cmd; timeout 120 $c > $O/machete_m$m.csv 2> $O/machete_m$m.log; echo "machete m$m exit $?"
done
grep -h "Duration\|Executed Instructions\"\|Issued Warp Per Scheduler\|Compute (SM) Throughput" $O/*.csv | cut -c1-20,200-400 | head -20
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
