#!/bin/bash
# On the two builds of 1_/2_*.sh: the k-tile loops of both bench binaries (cuobjdump), memcheck on "after", then, in one
# run, before against after at M = 1 to 128 (every tactic, the GEMV, cuBLAS and the memory floor) and settled at
# M = 512 and 4096 (the three wide tiles that win there), and "after" settled beside Machete's schedules for that size
# and cuBLAS. Racecheck on "after" last.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
G=/tmp/g14; T=$G/after/w4a16SM90SimpleTest; D=reports/h200/speed/ldmatrix_reads/commands
sha256sum $G/before/w4a16SM90* $G/after/w4a16SM90* > $O/sha256.txt
run sass timeout 60 $W lab profile --binary before=$G/before/w4a16SM90Bench --binary after=$G/after/w4a16SM90Bench --out $O/sass
run san_memcheck timeout 80 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_memcheck.log
run variants_decode timeout 150 $W lab variants --plan $D/plan_decode.json --root $G --out $O/variants_decode
run variants_large_m timeout 120 $W lab variants --plan $D/plan_large_m.json --root $G --out $O/variants_large_m
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench; cp $C/machete/build_info_machete.json $O/
S=128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK,128x128_2x1x1_TmaMI_TmaCoop_streamK
run machete_large_m timeout 140 $W bench --binary $G/after/w4a16SM90Bench --machete-binary /tmp/w4a16MacheteBench --machete-schedules $S --out $O/machete_large_m --models llama3-8b,llama2-70b --dtypes fp16 --m 512,4096 --tactics tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile256x128x64_cluster2x1x1_coop --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 130
run san_racecheck timeout 50 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/san_racecheck.log
tail -n 12 $O/sass.txt; tail -n 25 $O/variants_decode.txt; tail -n 8 $O/variants_large_m.txt; tail -n 3 $O/san_memcheck.txt $O/san_racecheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
