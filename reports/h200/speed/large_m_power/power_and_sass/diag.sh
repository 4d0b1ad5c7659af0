#!/usr/bin/env bash
# diag.sh OUT: why our 128x256 tactic is 0.84x of Machete in the bench but 0.97x under ncu at
# M=4096, N=K=8192 (fp16, int4 group 128): clocks and power under sustained load, opcode counts.
set -u
O=$1; C=$(cd "$(dirname "$0")" && pwd); mkdir -p $O/d
P="--n 8192 --k 8192 --m 4096"
date -u > $O/d/date.txt; nvidia-smi -q -d POWER,CLOCK,PERFORMANCE > $O/d/smi_q.txt 2>&1
sha256sum $C/ours_bench $C/machete_bench > $O/d/sha256.txt
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_event_reasons.active --format=csv,nounits -lms 20 > $O/d/smi_log.csv 2>&1 &
SMI=$!
ph() { echo "$(date -u +%H:%M:%S.%N) $1" >> $O/d/phases.txt; }
sleep 1
for rep in 1 2; do
ph "ours_c1x1_cold$rep"; $C/ours_bench $P --tactics tile128x256x64_cluster1x1x1_coop --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0 > $O/d/ours_cold$rep.jsonl 2>&1
sleep 1
ph "machete_cold$rep"; $C/machete_bench $P --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0 > $O/d/machete_cold$rep.jsonl 2>&1
sleep 1
done
ph "ours_c1x1_sustained"; $C/ours_bench $P --tactics tile128x256x64_cluster1x1x1_coop --budget-ms 4000 --max-samples 4000 > $O/d/ours_sustained.jsonl 2>&1
sleep 2
ph "machete_sustained"; $C/machete_bench $P --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --budget-ms 4000 --max-samples 4000 > $O/d/machete_sustained.jsonl 2>&1
sleep 2
ph "cublas_sustained"; /opt/torch/.venv/bin/python3 $C/cublas_loop.py > $O/d/cublas_sustained.txt 2>&1
sleep 1; ph end; kill $SMI
NCU="ncu --clock-control none --metrics sass__inst_executed_per_opcode,smsp__inst_executed.sum,sm__cycles_elapsed.avg,gpc__cycles_elapsed.avg.per_second,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed_pipe_alu.sum,smsp__inst_executed_pipe_fma.sum,smsp__inst_executed_pipe_fp16.sum,smsp__inst_executed_pipe_lsu.sum,smsp__inst_executed_pipe_uniform.sum,smsp__inst_executed_pipe_adu.sum --print-metric-instances values --csv --page raw -k regex:device_kernel"
echo "$NCU --launch-count 1 ours_bench $P --tactics tile128x256x64_cluster1x1x1_coop --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0" > $O/d/ncu_ours.cmd
timeout 120 $NCU --launch-count 1 $C/ours_bench $P --tactics tile128x256x64_cluster1x1x1_coop --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0 > $O/d/ncu_ours.csv 2>&1; echo "ncu ours $?"
echo "$NCU --launch-count 2 machete_bench $P --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0" > $O/d/ncu_machete.cmd
timeout 120 $NCU --launch-count 2 $C/machete_bench $P --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0 > $O/d/ncu_machete.csv 2>&1; echo "ncu machete $?"
cuobjdump -sass $C/ours_bench > /tmp/ours.sass 2>&1; echo "cuobjdump ours $?"
cuobjdump -sass $C/machete_bench > /tmp/machete.sass 2>&1; echo "cuobjdump machete $?"
/opt/torch/.venv/bin/python3 $C/sass_hist.py /tmp/ours.sass $O/d/sass_ours device_kernel
/opt/torch/.venv/bin/python3 $C/sass_hist.py /tmp/machete.sass $O/d/sass_machete device_kernel
cd $O && tar czf diag.tgz d && rm -rf d && ls -la $O
