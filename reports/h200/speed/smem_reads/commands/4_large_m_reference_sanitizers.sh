#!/bin/bash
# Fix 0010, continued on the same (warm) machine with the builds of the previous call: before against
# after at M = 1024 and 4096 (128x256 tactics, settled 1000 ms); the torch reference, memcheck and
# racecheck on after.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry15; O=$OUT/r; mkdir -p $O
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
G=$PWD/build/gpu6; A=$G/after/w4a16SM90SimpleTest
sha256sum $G/before/w4a16SM90* $G/after/w4a16SM90* > $O/sha256.txt
cp $C/plan_large_m.json $O/
run variants_large_m timeout 150 $W lab variants --plan $O/plan_large_m.json --root $G --out $O/variants_large_m
run reference env W4A16_BINARY=$A timeout 110 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 80 $W sanitize $A --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*:AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_memcheck.log
run san_racecheck timeout 60 $W sanitize $A --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/san_racecheck.log
tail -20 $O/variants_large_m.txt; tail -3 $O/reference.txt; tail -2 $O/san_memcheck.txt $O/san_racecheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
