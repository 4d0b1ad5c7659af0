#!/bin/bash
# The series with fix 0011, full tree (every tile), decode sizes settled: M = 1, 2, 3, 4, 8, 16 on the eight Llama
# projections, every kernel settled 1000 ms before it is timed; the GEMV, the 16-token-wide tiles that were among the two
# fastest at M <= 16 in the bench's order, Machete's two schedules that were, cuBLAS fp16; fp16, int4 group 128.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry23; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b/ft11; B=/tmp/b/ft11/w4a16SM90Bench; [ -x $B ] || $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/ft11/w4a16SM90Bench.xz $B; chmod +x $B; cp $C/ft11/build_info.json /tmp/b/ft11/
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/w4a16MacheteBench && chmod +x /tmp/w4a16MacheteBench
sha256sum $B /tmp/w4a16MacheteBench > $O/sha256.txt
T=cuda_core_gemv,tile64x16x64_cluster1x1x1_pingpong,tile128x16x64_cluster1x1x1_coop,tile256x16x64_cluster1x1x1_coop,tile256x16x64_cluster2x1x1_coop
S=128x16_1x1x1_TmaMI_TmaCoop_streamK,256x16_1x1x1_TmaMI_TmaCoop_streamK
run settled timeout 585 $W bench --binary $B --machete-binary /tmp/w4a16MacheteBench --machete-schedules $S --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 1,2,3,4,8,16 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 500
tail -4 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
