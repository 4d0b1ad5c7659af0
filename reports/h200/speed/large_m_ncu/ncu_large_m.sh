#!/usr/bin/env bash
# ncu_large_m.sh OUT: one M=4096, N=K=8192 fp16 GEMM from each of our best 128x256 tactics,
# Machete's 128x256 schedule and cuBLAS (torch.mm), profiled with the same ncu sections.
set -u
out=$1; C=$(cd "$(dirname "$0")" && pwd); PY=/opt/torch/.venv/bin/python3
mkdir -p "$out"
NCU="ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details"
for t in tile128x256x64_cluster1x1x1_coop tile128x256x64_cluster2x1x1_coop tile64x256x64_cluster1x1x1_pingpong; do
  echo "\$ $NCU -k regex:device_kernel --launch-count 1 $C/bfp16/w4a16SM90Bench --n 8192 --k 8192 --m 4096 --tactics $t --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0" > "$out/ours_$t.cmd"
  timeout 100 $NCU -k regex:device_kernel --launch-count 1 "$C/bfp16/w4a16SM90Bench" --n 8192 --k 8192 --m 4096 --tactics $t --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0 > "$out/ours_$t.csv" 2> "$out/ours_$t.log"; echo "ours $t exit $?"
done
s=128x256_2x1x1_TmaMI_TmaCoop_streamK
echo "\$ $NCU -k regex:device_kernel --launch-count 2 $C/machete/w4a16MacheteBench --n 8192 --k 8192 --m 4096 --schedules $s --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0" > "$out/machete_$s.cmd"
timeout 100 $NCU -k regex:device_kernel --launch-count 2 "$C/machete/w4a16MacheteBench" --n 8192 --k 8192 --m 4096 --schedules $s --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0 > "$out/machete_$s.csv" 2> "$out/machete_$s.log"; echo "machete exit $?"
cat > "$out/cublas.py" <<'PYEOF'
import torch
a = torch.randn(4096, 8192, dtype=torch.float16, device="cuda")
w = torch.randn(8192, 8192, dtype=torch.float16, device="cuda")
o = torch.empty(4096, 8192, dtype=torch.float16, device="cuda")
for _ in range(4):
    torch.mm(a, w.t(), out=o)
torch.cuda.synchronize()
PYEOF
echo "\$ $NCU --launch-count 6 $PY $out/cublas.py" > "$out/cublas.cmd"
timeout 100 $NCU --launch-count 6 $PY "$out/cublas.py" > "$out/cublas.csv" 2> "$out/cublas.log"; echo "cublas exit $?"
