#!/bin/bash
# ncu --set full (raw page: every metric, the warp stall breakdown and the pipes included) of our 128x256 tile in 2x1
# clusters and Machete's 128x256 2x1 schedule on Llama-3-8B gate_up (N = 14336, K = 4096) at M = 1024, where CUTLASS's
# scheduler runs a stream-K hybrid, and at M = 2048, where it runs data-parallel. One launch each, the card's own clocks.
set -u; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry41; O=$OUT/r; mkdir -p $O
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
mkdir -p /tmp/b17 /tmp/mach; unxz $C/b17/w4a16SM90Bench.xz /tmp/b17/w4a16SM90Bench; unxz $C/mach/w4a16MacheteBench.xz /tmp/mach/w4a16MacheteBench
sha256sum /tmp/b17/w4a16SM90Bench /tmp/mach/w4a16MacheteBench > $O/sha256.txt
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
NCU="ncu --clock-control none --set full --csv --page raw -k regex:device_kernel"
ONE="--budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
for m in 1024 2048; do
  t=tile128x256x64_cluster2x1x1_coop
  echo "\$ $NCU --launch-count 1 w4a16SM90Bench --n 14336 --k 4096 --m $m --tactics $t $ONE" > $O/ours_m$m.cmd
  timeout 120 $NCU --launch-count 1 /tmp/b17/w4a16SM90Bench --n 14336 --k 4096 --m $m --tactics $t $ONE > $O/ours_m$m.csv 2> $O/ours_m$m.log; echo "ours m$m exit $?"
  s=128x256_2x1x1_TmaMI_TmaCoop_streamK
  echo "\$ $NCU --launch-count 2 w4a16MacheteBench --n 14336 --k 4096 --m $m --schedules $s $ONE" > $O/machete_m$m.cmd
  timeout 120 $NCU --launch-count 2 /tmp/mach/w4a16MacheteBench --n 14336 --k 4096 --m $m --schedules $s $ONE > $O/machete_m$m.csv 2> $O/machete_m$m.log; echo "machete m$m exit $?"
done
ls -la $O; cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
