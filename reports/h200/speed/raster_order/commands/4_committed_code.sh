#!/bin/bash
# Fix 0017 as committed (raster along M where 4m > n), slim build made on the CPU machine (tiles 128x256, 256x128 and
# 128x128, every cluster, fp16 scale-only): suite, torch reference, memcheck on wide_k; then `w4a16 lab variants`,
# the series without 0017 (the "before" binary of calls 2 and 3) then with it on each shape, M = 1024, 2048 and 4096,
# 128x256 and 256x128 at cluster 1, every kernel settled 1000 ms.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry40; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b16 /tmp/b17r; unxz $C/b16/w4a16SM90Bench.xz /tmp/b16/w4a16SM90Bench
for b in w4a16SM90Bench w4a16SM90SimpleTest w4a16SM90Tool; do unxz $C/b17r/$b.xz /tmp/b17r/$b; done
cp $C/b17r/build_info.json $O/build_info_committed.json; sha256sum /tmp/b16/w4a16SM90Bench /tmp/b17r/w4a16SM90* > $O/sha256.txt; cp $C/plan_committed.json $O/
T=/tmp/b17r/w4a16SM90SimpleTest
run suite timeout 120 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run memcheck timeout 100 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/wide_k_*' --log $O/memcheck.log
run variants timeout 200 $W lab variants --plan $O/plan_committed.json --out $O/variants
tail -n 2 $O/suite.txt $O/reference.txt $O/memcheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
tar xzf $OUT/r.tgz -O r/variants.txt | tail -26
