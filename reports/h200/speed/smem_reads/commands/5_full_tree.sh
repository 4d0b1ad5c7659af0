#!/bin/bash
# Fix 0010 in TensorRT-LLM's own formatting (patches/kernel/), through CutlassFpAIntBGemmRunner: the
# full-tree ci-preset test binary (64x16 and 128x16, fp16 scale-only, GEMV group 128) that the CPU
# machine built from this commit's sources, run on the H200 (suite, then memcheck on every decode case).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry16; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
B=/tmp/cifull; mkdir -p $B && gunzip -c $C/w4a16SM90SimpleTest.gz > $B/w4a16SM90SimpleTest && chmod +x $B/w4a16SM90SimpleTest && cp $C/build_info.json $B/
sha256sum $B/w4a16SM90SimpleTest > $O/sha256.txt; cp $C/build_info.json $O/
run gtest timeout 90 $W run $B/w4a16SM90SimpleTest --xml $O/gtest.xml
run san_memcheck timeout 90 $W sanitize $B/w4a16SM90SimpleTest --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/*decode*' --log $O/san_memcheck.log
grep -h "cases:" $O/gtest.txt; tail -1 $O/san_memcheck.txt; grep -c "^\[       OK \]" $O/san_memcheck.log; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
