#!/bin/bash
# Fix 0017 with bf16 activations. The whole series, slim build made on the CPU machine (tiles 128x256 and 256x128, every
# cluster, bf16 scale-only and scale+zero): suite, torch reference, memcheck on big_square (bf16 scale+zero, M = 4096,
# N = 4096, where 0017 rasters along M); then `w4a16 lab variants`, the series without 0017 (bf16 scale-only, 128x256)
# then with it on each shape, M = 1024, 2048 and 4096, 128x256 at 1x1 and 2x1 clusters, every kernel settled 1000 ms.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry42; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/bb16 /tmp/bb17; unxz $C/bb16/w4a16SM90Bench.xz /tmp/bb16/w4a16SM90Bench
for b in w4a16SM90Bench w4a16SM90SimpleTest w4a16SM90Tool; do unxz $C/bb17/$b.xz /tmp/bb17/$b; done
cp $C/bb16/build_info.json $O/build_info_before.json; cp $C/bb17/build_info.json $O/build_info_after.json
sha256sum /tmp/bb16/w4a16SM90Bench /tmp/bb17/w4a16SM90* > $O/sha256.txt; cp $C/plan_bf16.json $O/
T=/tmp/bb17/w4a16SM90SimpleTest
run suite timeout 150 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run memcheck timeout 120 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/big_square_*' --log $O/memcheck.log
run variants timeout 230 $W lab variants --plan $O/plan_bf16.json --out $O/variants
tail -n 2 $O/suite.txt $O/reference.txt $O/memcheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
tar xzf $OUT/r.tgz -O r/variants.txt | tail -30
