#!/bin/bash
# Fix 0006 on the GPU: build the five 128-row tiles its rule can pick (all four dtype/quant pairs, the whole series), run the suite.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry7; O=$OUT/default_config; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
run build timeout 330 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir /tmp/bd --jobs 12 --tiles 128x16,128x32,128x64,128x128,128x256
cp /tmp/bd/build_info.json $O/ ; sha256sum /tmp/bd/w4a16SM90* > $O/sha256.txt
B=/tmp/bd/w4a16SM90SimpleTest
run tool /tmp/bd/w4a16SM90Tool --w4a16_default_config=1,2,4,8,16,17,32,33,64,65,128,129,256,1024,4096
run gtest timeout 120 $W run $B --xml $O/gtest.xml
run san_memcheck timeout 60 $W sanitize $B --tool memcheck --filter 'AllCases/GPU_DefaultConfig.*decode*' --log $O/san_memcheck.log
grep -h "^exit\|cases:\|ERROR SUMMARY" $O/*.txt | tail -12; grep -c "GPU_DefaultConfig.*passed" $O/gtest.txt
cd $OUT && tar czf /tmp/dc.tgz default_config && rm -rf default_config && mv /tmp/dc.tgz $OUT/
