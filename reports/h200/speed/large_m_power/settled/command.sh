#!/bin/bash
# M = 1024 and 4096 on the Llama shapes, ours (full tree, series 0002-0005), cuBLAS and Machete:
# 1. the order effect: one problem's tactics without settling, in the bench's order and alone;
# 2. every candidate timed after settling 1000 ms at its own power draw (--settle-ms 1000).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry7; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/w4a16SM90Bench $C/w4a16MacheteBench > $O/sha256.txt
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,clocks_event_reasons.active --format=csv,nounits -lms 50 > $O/smi_log.csv 2>&1 &
SMI=$!
P="--n 8192 --k 8192 --m 4096 --label llama2-70b/o --budget-ms 10"
run order_ours_all $C/w4a16SM90Bench $P --tactics all --out $O/order_ours_all.jsonl; sleep 3
run order_ours_alone $C/w4a16SM90Bench $P --tactics tile128x256x64_cluster1x1x1_coop --out $O/order_ours_alone.jsonl; sleep 3
run order_machete_all $C/w4a16MacheteBench $P --schedules all --out $O/order_machete_all.jsonl; sleep 3
run order_machete_alone $C/w4a16MacheteBench $P --schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --out $O/order_machete_alone.jsonl
T=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile128x256x64_cluster1x2x1_coop,tile64x256x64_cluster1x1x1_pingpong,tile64x256x64_cluster1x2x1_pingpong,tile128x128x64_cluster1x1x1_coop
run settled timeout 520 $W bench --binary $C/w4a16SM90Bench --machete-binary $C/w4a16MacheteBench --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 1024,4096 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 430
kill $SMI; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
