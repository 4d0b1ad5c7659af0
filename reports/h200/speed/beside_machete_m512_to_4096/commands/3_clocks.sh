#!/bin/bash
# Clocks and power while our 128x256 tile and Machete's run sustained (4 s of graph replays each, ABBA order), logged by
# nvidia-smi every 20 ms: Llama-2-70B gate_up (N = 28672, K = 8192), where ncu counts the same cycles for both but the
# settled bench has ours about 3% behind, and Llama-3-8B down (N = 4096, K = 14336), where fix 0017 rasters ours along M.
# M = 4096, fp16, int4 group 128.
set -u; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry41; O=$OUT/r; mkdir -p $O
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
mkdir -p /tmp/b17 /tmp/mach; unxz $C/b17/w4a16SM90Bench.xz /tmp/b17/w4a16SM90Bench; unxz $C/mach/w4a16MacheteBench.xz /tmp/mach/w4a16MacheteBench
sha256sum /tmp/b17/w4a16SM90Bench /tmp/mach/w4a16MacheteBench > $O/sha256.txt
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_event_reasons.active --format=csv,nounits -lms 20 > $O/smi_log.csv 2>&1 &
SMI=$!
ph() { echo "$(date -u +%Y/%m/%d\ %H:%M:%S.%N) $1" >> $O/phases.txt; }
S="--budget-ms 4000 --max-samples 4000"
ours() { ph "ours $1 $2 $3"; /tmp/b17/w4a16SM90Bench --n $1 --k $2 --m 4096 --tactics $3 $S > $O/ours_n$1_$3_$4.jsonl 2>&1; ph idle; sleep 3; }
mach() { ph "machete $1 $2"; /tmp/mach/w4a16MacheteBench --n $1 --k $2 --m 4096 --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK $S > $O/machete_n$1_$3.jsonl 2>&1; ph idle; sleep 3; }
sleep 2
ours 28672 8192 tile128x256x64_cluster2x1x1_coop a; mach 28672 8192 a; mach 28672 8192 b; ours 28672 8192 tile128x256x64_cluster2x1x1_coop b
ours 4096 14336 tile128x256x64_cluster1x1x1_coop a; mach 4096 14336 a; mach 4096 14336 b; ours 4096 14336 tile128x256x64_cluster1x1x1_coop b
ph end; kill $SMI
grep -h '"median_us"' $O/*.jsonl | $PY -c "
import sys,json
for l in sys.stdin:
    r=json.loads(l)
    if r.get('record')=='tactic': print(r['n'], r['tactic'], r['median_us'], r['samples'])"
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
