#!/bin/bash
# Fix 0008's slice version (patches/slice/) on the slim build: 256x16 and 256x128 (every cluster), fp16 x {scale_only, scale_zeros}, the suite.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry12; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && tar xzf $C/cache.tgz -C /tmp/src && tar xzf $C/gtest.tgz -C /tmp/src
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
B=/tmp/bslice
run build timeout 170 $W build --slice --no-run --offline --gtest-src /tmp/src/googletest --build-dir $B --jobs 12 --tiles 256x16,256x128 --activations fp16 --quant-ops scale_only,scale_zeros
cp $B/build_info.json $O/; sha256sum $B/w4a16SM90* > $O/sha256.txt
run gtest timeout 60 $W run $B/w4a16SM90SimpleTest --xml $O/gtest.xml
grep -h "cases:" $O/gtest.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
