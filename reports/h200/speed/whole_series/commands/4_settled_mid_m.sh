#!/bin/bash
# The whole series, full tree (the binaries of call 1): M = 128, 256 and 512, every kernel settled 1000 ms at its own
# power draw (the unsettled bench order moved these rows by up to 20%): our tactics that were fastest there in call 1,
# Machete's schedules that were, and its heuristic's pick, cuBLAS fp16; fp16, int4 group 128, the eight Llama projections.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry18; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ftall; mkdir -p $B; gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench
gunzip -c $C/w4a16SM90Bench.gz > $B/w4a16SM90Bench && chmod +x $B/w4a16SM90Bench; cp $C/build_info.json $B/
sha256sum $B/w4a16SM90Bench /tmp/w4a16MacheteBench > $O/sha256.txt
T=tile64x128x64_cluster1x1x1_pingpong,tile64x128x64_cluster1x2x1_pingpong,tile64x256x64_cluster1x1x1_pingpong,tile128x64x64_cluster1x1x1_coop,tile128x128x64_cluster1x1x1_coop,tile128x128x64_cluster2x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile256x128x64_cluster1x1x1_coop,tile256x128x64_cluster2x1x1_coop
S=128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK,128x128_1x1x1_TmaMI_TmaCoop_streamK,128x128_2x1x1_TmaMI_TmaCoop_streamK,128x64_2x1x1_TmaMI_TmaCoop_streamK,heuristic
run settled timeout 560 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/w4a16MacheteBench --machete-schedules $S --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 128,256,512 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 480
tail -4 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
