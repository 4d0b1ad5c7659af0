#!/bin/bash
# (a) Four large held-out shapes beside Machete at M = 1024 and 4096, every kernel settled 1000 ms: the bench binary of
#     1_heldout_settled.sh, our 128x256 and 256x128 tiles (clusters 1 and 2x1), Machete's 128x256, 256x128 and 128x128
#     schedules (2x1 cluster), cuBLAS fp16 and the stream floor.
# (b) `w4a16 try` on one decode shape with the tool and bench binaries of ../../stream_floor/ (the final stream kernel),
#     output in ../../stream_floor/try/.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry30; O=$OUT/r; mkdir -p $O/try
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $1 $2 && chmod +x $2; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/bl /tmp/bs; unxz $C/bl/w4a16SM90Bench.xz /tmp/bl/w4a16SM90Bench; unxz $C/bs/w4a16SM90Bench.xz /tmp/bs/w4a16SM90Bench; unxz $C/bs/w4a16SM90Tool.xz /tmp/bs/w4a16SM90Tool
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/machete && chmod +x /tmp/machete
sha256sum /tmp/bl/w4a16SM90Bench /tmp/bs/w4a16SM90Bench /tmp/bs/w4a16SM90Tool /tmp/machete > $O/sha256.txt
T=tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop,tile256x128x64_cluster1x1x1_coop,tile256x128x64_cluster2x1x1_coop
M=128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK,128x128_2x1x1_TmaMI_TmaCoop_streamK
run large_m timeout 300 $W bench --binary /tmp/bl/w4a16SM90Bench --machete-binary /tmp/machete --machete-schedules $M --out $O/large_m --shape 14336,8192 --shape 8192,14336 --shape 27648,5120 --shape 5120,27648 --dtypes fp16 --m 1024,4096 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 260
run try/try timeout 60 $W try 16 4096 4096 --seed 1 --binary /tmp/bs/w4a16SM90Tool --bench-binary /tmp/bs/w4a16SM90Bench
tail -n 4 $O/large_m.txt; cat $O/try/try.txt; grep -h "^exit" $O/*.txt $O/try/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
