#!/bin/bash
# 128-deep K tiles for the tiles 64 tokens wide (experiment knob W4A16_X_DEEP_K_64, one full-tree binary with the
# 64-wide tiles, fp16 scale-only, group 128, the series 0002 to 0011): the suite, the torch reference, memcheck and
# racecheck with the knob on; then the 64-wide tactics with the knob off and on at M = 24 to 128 on the eight Llama shapes.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry24; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b/dk64; for f in $C/dk64/*.xz; do g=/tmp/b/dk64/$(basename $f .xz); $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $f $g; chmod +x $g; done; cp $C/dk64/build_info.json /tmp/b/dk64/
sha256sum /tmp/b/dk64/w4a16SM90* > $O/sha256.txt
T=/tmp/b/dk64/w4a16SM90SimpleTest
run suite env W4A16_X_DEEP_K_64=1 timeout 120 $W run $T --xml $O/suite.xml
run reference env W4A16_X_DEEP_K_64=1 W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck env W4A16_X_DEEP_K_64=1 timeout 100 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_memcheck.log
run san_racecheck env W4A16_X_DEEP_K_64=1 timeout 100 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_racecheck.log
cp $C/plan_deep_k_64.json $O/
run variants timeout 200 $W lab variants --plan $O/plan_deep_k_64.json --root /tmp/b --out $O/variants
for f in $O/*.txt; do echo "== $(basename $f)"; tail -n 2 $f; done; tail -52 $O/variants/table.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
