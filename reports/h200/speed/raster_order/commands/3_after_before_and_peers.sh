#!/bin/bash
# Fix 0017, second run with the order reversed: (a) `w4a16 lab variants`, after then before on each shape, M = 256 to
# 4096, every kernel settled 1000 ms (the binaries of call 2); (b) `w4a16 bench` with the "after" binary beside
# Machete's two large-M schedules and cuBLAS fp16, M = 1024 and 4096, settled 1000 ms; (c) memcheck of the "after"
# test binary on wide_k (256 to 512 tiles in 16 token blocks: the suite case whose tile order the fix changes most).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry40; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
for v in b16 b17; do mkdir -p /tmp/$v; unxz $C/$v/w4a16SM90Bench.xz /tmp/$v/w4a16SM90Bench; done; unxz $C/b17/w4a16SM90SimpleTest.xz /tmp/b17/w4a16SM90SimpleTest
mkdir -p /tmp/mach; unxz $C/mach/w4a16MacheteBench.xz /tmp/mach/w4a16MacheteBench; cp $C/mach/build_info.json $O/build_info_machete.json
sha256sum /tmp/b1?/w4a16SM90* /tmp/mach/w4a16MacheteBench > $O/sha256.txt; cp $C/plan_after_before.json $O/
run variants timeout 330 $W lab variants --plan $O/plan_after_before.json --out $O/variants
run peers timeout 200 $W bench --out $O/peers --binary /tmp/b17/w4a16SM90Bench --models llama3-8b,llama2-70b --m 1024,4096 --dtypes fp16 --tactics tile128x256x64_cluster1x1x1_coop,tile256x128x64_cluster1x1x1_coop --no-int4pack --settle-ms 1000 --budget-ms 10 --machete-binary /tmp/mach/w4a16MacheteBench --machete-schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK
run memcheck timeout 100 $W sanitize /tmp/b17/w4a16SM90SimpleTest --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/wide_k_*' --log $O/memcheck.log
tail -n 2 $O/memcheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
tar xzf $OUT/r.tgz -O r/variants.txt | tail -34; tar xzf $OUT/r.tgz -O r/peers.txt | grep "Machete's best"
