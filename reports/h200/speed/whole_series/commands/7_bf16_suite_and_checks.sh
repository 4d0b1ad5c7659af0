#!/bin/bash
# The whole series (0002 to 0010) in the full tree, every tile, bf16 x {scale-only, scale+zeros}, GEMV groups 64 and 128,
# built on the CPU machine: the suite through CutlassFpAIntBGemmRunner, the torch reference through the tool's case mode,
# memcheck on every tactic of the gate8b (M = 16) and qkv8b (M = 7) cases, racecheck on every tactic of qkv8b.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry20; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/bfall; mkdir -p $B; for f in w4a16SM90SimpleTest w4a16SM90Tool; do gunzip -c $C/$f.gz > $B/$f && chmod +x $B/$f; done
cp $C/build_info.json $B/; cp $C/build_info.json $O/; sha256sum $B/w4a16SM90* > $O/sha256.txt
run gtest timeout 180 $W run $B/w4a16SM90SimpleTest --xml $O/gtest.xml
run reference env W4A16_BINARY=$B/w4a16SM90SimpleTest timeout 200 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 120 $W sanitize $B/w4a16SM90SimpleTest --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/gate8b_*:AllCases/GPU_Tactic.MatchesReference/qkv8b_*' --log $O/san_memcheck.log
run san_racecheck timeout 90 $W sanitize $B/w4a16SM90SimpleTest --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/qkv8b_*' --log $O/san_racecheck.log
grep -h "cases:" $O/gtest.txt; tail -n 2 $O/reference.txt; grep -h "SUMMARY" $O/san_*.log; grep -c "^\[       OK \]" $O/san_memcheck.log $O/san_racecheck.log; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
