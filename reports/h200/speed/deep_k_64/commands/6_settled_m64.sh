#!/bin/bash
# 128-deep K tiles for the tiles 64 tokens wide (knob W4A16_X_DEEP_K_64), settled beside Machete: M = 64 on the eight
# Llama shapes, every kernel settled 1000 ms; the 64-wide tactics with the knob on, beside Machete's 64-wide schedules,
# its heuristic's pick and cuBLAS fp16; then the same tactics with the knob off (the series as it ships).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry24; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b/dk64; B=/tmp/b/dk64/w4a16SM90Bench; [ -x $B ] || { $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/dk64/w4a16SM90Bench.xz $B; chmod +x $B; }; cp $C/dk64/build_info.json /tmp/b/dk64/
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench
sha256sum $B /tmp/w4a16MacheteBench > $O/sha256.txt
T=tile64x64x64_cluster1x1x1_pingpong,tile128x64x64_cluster1x1x1_coop,tile128x64x64_cluster2x1x1_coop,tile256x64x64_cluster1x1x1_coop,tile256x64x64_cluster2x1x1_coop
S=128x64_2x1x1_TmaMI_TmaCoop_streamK,256x64_2x1x1_TmaMI_TmaCoop_streamK,heuristic
run knob_on env W4A16_X_DEEP_K_64=1 timeout 250 $W bench --binary $B --machete-binary /tmp/w4a16MacheteBench --machete-schedules $S --out $O/knob_on --models llama3-8b,llama2-70b --dtypes fp16 --m 64 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack
run knob_off timeout 200 $W bench --binary $B --out $O/knob_off --models llama3-8b,llama2-70b --dtypes fp16 --m 64 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack
grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
