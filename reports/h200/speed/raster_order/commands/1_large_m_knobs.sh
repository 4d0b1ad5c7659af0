#!/bin/bash
# The 128x256 tiles at M = 1024 and 4096 under each tile-scheduler setting the launcher knobs offer
# (CUTLASS's heuristic, data-parallel, stream-K, raster along M / along N, swizzle 4), every
# kernel settled 1000 ms; then Machete's two large-M schedules and cuBLAS on the same problems.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry40; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $1 $2; chmod +x $2; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/bkl /tmp/mach; unxz $C/bkl/w4a16SM90Bench.xz /tmp/bkl/w4a16SM90Bench; unxz $C/mach/w4a16MacheteBench.xz /tmp/mach/w4a16MacheteBench
cp $C/bkl/build_info.json $O/build_info_knobs.json; cp $C/mach/build_info.json $O/build_info_machete.json
sha256sum /tmp/bkl/w4a16SM90Bench /tmp/mach/w4a16MacheteBench > $O/sha256.txt; cp $C/plan_large_m.json $O/
for s in "8192 28672 llama2-70b/down" "4096 4096 llama3-8b/o" "57344 8192 llama2-70b/gate_up"; do set -- $s
  for d in 0 1 3; do echo "decomp=$d $3" >> $O/knobs_verbose.log
    W4A16_X_DECOMP=$d W4A16_X_VERBOSE=1 timeout 60 /tmp/bkl/w4a16SM90Bench --n $1 --k $2 --m 1024,4096 --label $3 --tactics tile128x256x64_cluster1x1x1_coop --budget-ms 1 --min-samples 1 --max-samples 1 > /dev/null 2>> $O/knobs_verbose.log; done; done
run variants timeout 400 $W lab variants --plan $O/plan_large_m.json --out $O/variants
run machete timeout 150 $W bench --out $O/machete --binary /tmp/bkl/w4a16SM90Bench --models llama3-8b,llama2-70b --m 1024,4096 --dtypes fp16 --tactics tile128x256x64_cluster1x1x1_coop --no-int4pack --settle-ms 1000 --budget-ms 10 --machete-binary /tmp/mach/w4a16MacheteBench --machete-schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK,256x128_2x1x1_TmaMI_TmaCoop_streamK
grep -h "^exit" $O/*.txt | sort | uniq -c
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
tar xzf $OUT/r.tgz -O r/variants.txt | tail -40
