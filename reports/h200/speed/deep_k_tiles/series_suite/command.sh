#!/bin/bash
# The whole series (0002-0005) on the slim build of all 84 instantiations: build, suite, torch reference, sanitizers.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry5; O=$OUT/series_suite; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
run build timeout 360 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir /tmp/bs --jobs 12 --tus 24
cp /tmp/bs/build_info.json $O/ ; sha256sum /tmp/bs/w4a16SM90* > $O/sha256.txt
B=/tmp/bs/w4a16SM90SimpleTest
run gtest timeout 100 $W run $B --xml $O/gtest.xml
run reference env W4A16_BINARY=$B timeout 90 $PY -m pytest py_tests/reference/test_torch_reference.py -k "x16x64 or x32x64" -p no:cacheprovider -q --junitxml=$O/reference.xml
F='AllCases/GPU_Tactic.MatchesReference/*_g128_*tile64x16x64*:AllCases/GPU_Tactic.MatchesReference/*_g128_*tile128x32x64_cluster1x1x1*-*big_square*:*prefill*:*o70b_m128*:*qkv70b_m1000*:*wide_k*'
for t in memcheck racecheck; do run san_$t timeout 60 $W sanitize $B --tool $t --filter "$F" --log $O/san_$t.log; done
grep -h "^exit\|passed\|ERROR SUMMARY\|RACECHECK SUMMARY" $O/*.txt | tail -20
cd $OUT && tar czf /tmp/series_suite.tgz series_suite && rm -rf series_suite && mv /tmp/series_suite.tgz $OUT/
