#!/bin/bash
# Fix 0010 at M = 4096 against cuBLAS fp16 and Machete, every kernel settled 1000 ms: our three
# 128x256 tactics (slim build of 128x256, fp16 scale-only, the whole series, built on the CPU machine),
# Machete's ten schedules (peer bench built earlier), cuBLAS; fp16, int4 group 128, the eight Llama shapes.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry17; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/b128; mkdir -p $B && gunzip -c $C/w4a16SM90Bench.gz > $B/w4a16SM90Bench && chmod +x $B/w4a16SM90Bench && cp $C/build_info.json $B/
sha256sum $B/w4a16SM90Bench $C/machete/w4a16MacheteBench > $O/sha256.txt; cp $C/build_info.json $O/build_info_bench.json; cp $C/machete/build_info_machete.json $O/
T=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile128x256x64_cluster1x2x1_coop
run settled timeout 200 $W bench --binary $B/w4a16SM90Bench --machete-binary $C/machete/w4a16MacheteBench --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 4096 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 170
tail -40 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
