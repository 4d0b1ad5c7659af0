#!/bin/bash
# The whole series, full tree (the bench binary of call 1): M = 32 and 64, every kernel settled 1000 ms, our tactics and
# Machete's schedules that were among the two fastest there in call 1, Machete's heuristic's pick, cuBLAS fp16; fp16,
# int4 group 128, the eight Llama projections.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry18; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ftall; mkdir -p $B; gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench
gunzip -c $C/w4a16SM90Bench.gz > $B/w4a16SM90Bench && chmod +x $B/w4a16SM90Bench; cp $C/build_info.json $B/
sha256sum $B/w4a16SM90Bench /tmp/w4a16MacheteBench > $O/sha256.txt
T=tile64x16x64_cluster1x1x1_pingpong,tile64x32x64_cluster1x1x1_pingpong,tile64x64x64_cluster1x1x1_pingpong,tile128x32x64_cluster1x1x1_coop,tile128x32x64_cluster2x1x1_coop,tile128x64x64_cluster1x1x1_coop,tile128x64x64_cluster2x1x1_coop,tile256x32x64_cluster1x1x1_coop,tile256x32x64_cluster2x1x1_coop,tile256x64x64_cluster1x1x1_coop,tile256x64x64_cluster2x1x1_coop
S=128x32_2x1x1_TmaMI_TmaCoop_streamK,128x64_2x1x1_TmaMI_TmaCoop_streamK,256x32_2x1x1_TmaMI_TmaCoop_streamK,256x64_2x1x1_TmaMI_TmaCoop_streamK,heuristic
run settled timeout 330 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/w4a16MacheteBench --machete-schedules $S --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 32,64 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 290
tail -4 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
