#!/bin/bash
# The committed series (fix 0017) at M = 512 to 4096, every kernel settled 1000 ms, beside Machete and cuBLAS fp16:
# (a) the eight Llama shapes at M = 1024, 2048 and 4096 with the 128x256 tile at 1x1 and 2x1 clusters and 256x128 at 2x1;
# (b) the same at M = 512 with the 64x256 ping-pong and 128x128 tiles too, and Machete's 128x128 schedules;
# (c) the four largest held-out shapes at M = 1024 and 4096, as (a).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry41; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b17 /tmp/mach; unxz $C/b17/w4a16SM90Bench.xz /tmp/b17/w4a16SM90Bench; unxz $C/mach/w4a16MacheteBench.xz /tmp/mach/w4a16MacheteBench
cp $C/b17/build_info.json $O/build_info_bench.json; cp $C/mach/build_info.json $O/build_info_machete.json
sha256sum /tmp/b17/w4a16SM90Bench /tmp/mach/w4a16MacheteBench > $O/sha256.txt
B="--binary /tmp/b17/w4a16SM90Bench --dtypes fp16 --no-int4pack --settle-ms 1000 --budget-ms 10 --machete-binary /tmp/mach/w4a16MacheteBench"
WIDE=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile256x128x64_cluster2x1x1_coop
MW=128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK
run large_m timeout 290 $W bench --out $O/large_m $B --models llama3-8b,llama2-70b --m 1024,2048,4096 --tactics $WIDE --machete-schedules $MW --time-limit 250
run m512 timeout 170 $W bench --out $O/m512 $B --models llama3-8b,llama2-70b --m 512 --tactics $WIDE,tile64x256x64_cluster1x1x1_pingpong,tile128x128x64_cluster1x1x1_coop,tile128x128x64_cluster2x1x1_coop --machete-schedules $MW,128x128_2x1x1_TmaMI_TmaCoop_streamK,128x128_1x1x1_TmaMI_TmaCoop_streamK --time-limit 140
run heldout timeout 100 $W bench --out $O/heldout $B --shape 14336,8192 --shape 8192,14336 --shape 27648,5120 --shape 5120,27648 --m 1024,4096 --tactics $WIDE --machete-schedules $MW
grep -h "^exit" $O/*.txt
for f in large_m m512 heldout; do sed -n "/^## vLLM's Machete/,/^## Failures/p" $O/$f/report.md | grep "^|" | cut -d'|' -f2,3,4,5,7,8 | sed 's/_TmaMI_TmaCoop_streamK//'; done
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
