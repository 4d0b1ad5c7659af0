#!/bin/bash
# Second pass of 1_sweep.sh on the same binaries (another lease), and ncu of our 128x256 tile and Machete's at two of the
# problems where Machete led in the first pass: Llama-2-70B gate_up (N = 28672, K = 8192) at M = 4096 and Llama-3-8B
# gate_up (N = 14336, K = 4096) at M = 1024. One launch each, the card's own clocks, same sections.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry41; O=$OUT/r; mkdir -p $O/ncu
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b17 /tmp/mach; unxz $C/b17/w4a16SM90Bench.xz /tmp/b17/w4a16SM90Bench; unxz $C/mach/w4a16MacheteBench.xz /tmp/mach/w4a16MacheteBench
sha256sum /tmp/b17/w4a16SM90Bench /tmp/mach/w4a16MacheteBench > $O/sha256.txt
NCU="ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details -k regex:device_kernel"
ONE="--budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
for p in "28672 8192 4096" "14336 4096 1024"; do set -- $p; tag=n$1_k$2_m$3
  for t in tile128x256x64_cluster2x1x1_coop tile128x256x64_cluster1x1x1_coop; do
    echo "\$ $NCU --launch-count 1 w4a16SM90Bench --n $1 --k $2 --m $3 --tactics $t $ONE" > $O/ncu/ours_${tag}_$t.cmd
    timeout 45 $NCU --launch-count 1 /tmp/b17/w4a16SM90Bench --n $1 --k $2 --m $3 --tactics $t $ONE > $O/ncu/ours_${tag}_$t.csv 2> $O/ncu/ours_${tag}_$t.log; echo "ncu ours $tag $t exit $?"
  done
  s=128x256_2x1x1_TmaMI_TmaCoop_streamK
  echo "\$ $NCU --launch-count 2 w4a16MacheteBench --n $1 --k $2 --m $3 --schedules $s $ONE" > $O/ncu/machete_${tag}_$s.cmd
  timeout 45 $NCU --launch-count 2 /tmp/mach/w4a16MacheteBench --n $1 --k $2 --m $3 --schedules $s $ONE > $O/ncu/machete_${tag}_$s.csv 2> $O/ncu/machete_${tag}_$s.log; echo "ncu machete $tag exit $?"
done
B="--binary /tmp/b17/w4a16SM90Bench --dtypes fp16 --no-int4pack --settle-ms 1000 --budget-ms 10 --machete-binary /tmp/mach/w4a16MacheteBench"
WIDE=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile256x128x64_cluster2x1x1_coop
MW=128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK
run large_m timeout 240 $W bench --out $O/large_m $B --models llama3-8b,llama2-70b --m 1024,2048,4096 --tactics $WIDE --machete-schedules $MW --time-limit 215
run heldout timeout 95 $W bench --out $O/heldout $B --shape 14336,8192 --shape 8192,14336 --shape 27648,5120 --shape 5120,27648 --m 1024,4096 --tactics $WIDE --machete-schedules $MW
[ $SECONDS -lt 430 ] && run m512 timeout 125 $W bench --out $O/m512 $B --models llama3-8b,llama2-70b --m 512 --tactics $WIDE,tile64x256x64_cluster1x1x1_pingpong,tile128x128x64_cluster1x1x1_coop,tile128x128x64_cluster2x1x1_coop --machete-schedules $MW,128x128_2x1x1_TmaMI_TmaCoop_streamK,128x128_1x1x1_TmaMI_TmaCoop_streamK
grep -h "^exit" $O/*.txt
for f in large_m heldout m512; do sed -n "/^## vLLM's Machete/,/^## Failures/p" $O/$f/report.md | grep "^|" | cut -d'|' -f2,3,4,5,7,8 | sed 's/_TmaMI_TmaCoop_streamK//'; done
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
