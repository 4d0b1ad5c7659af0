#!/bin/bash
# The whole series (0002 to 0010) in the full tree, every tile, fp16 scale-only, GEMV group 128, built on the CPU
# machine: the suite through CutlassFpAIntBGemmRunner, then the bench at M = 1 to 512 beside vLLM's Machete (ten
# schedules and its heuristic) and cuBLAS fp16, fp16, int4 group 128, the eight Llama projections.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry18; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/ftall; mkdir -p $B; gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench; cp $C/machete/build_info_machete.json $O/
for f in w4a16SM90SimpleTest w4a16SM90Bench; do gunzip -c $C/$f.gz > $B/$f && chmod +x $B/$f; done
cp $C/build_info.json $B/; cp $C/build_info.json $O/; sha256sum $B/w4a16SM90* /tmp/w4a16MacheteBench > $O/sha256.txt
run gtest timeout 150 $W run $B/w4a16SM90SimpleTest --xml $O/gtest.xml
run bench timeout 330 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/w4a16MacheteBench --out $O/bench --models llama3-8b,llama2-70b --dtypes fp16 --m 1,2,3,4,5,6,8,12,16,32,64,128,256,512 --budget-ms 5 --no-int4pack --time-limit 300
grep -h "cases:" $O/gtest.txt; tail -6 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
