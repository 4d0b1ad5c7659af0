#!/bin/bash
# The whole series, full tree (same binaries as call 1): M = 1024, 2048 and 4096, every kernel settled 1000 ms at its own
# power draw: our 128x256, 256x128 and 128x128 tactics, Machete's three widest schedules and its heuristic's pick,
# cuBLAS fp16; fp16, int4 group 128, the eight Llama projections.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry18; O=$OUT/r; mkdir -p $O
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ftall; sha256sum $B/w4a16SM90Bench /tmp/w4a16MacheteBench > $O/sha256.txt
T=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile128x256x64_cluster1x2x1_coop,tile256x128x64_cluster2x1x1_coop,tile128x128x64_cluster2x1x1_coop
S=128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK,128x128_2x1x1_TmaMI_TmaCoop_streamK,heuristic
run settled timeout 520 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/w4a16MacheteBench --machete-schedules $S --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 1024,2048,4096 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 470
tail -4 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
