#!/bin/bash
# Finish the two builds of 1_build_checks.sh in the same folders (its two builds side by side, 7 jobs each, ran out of
# memory): "w4a16 build" with the same arguments resumes where ninja stopped. One build at a time, 12 jobs. Then check
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
G=/tmp/g14; mkdir -p $G
SEL="--tiles all --activations fp16 --quant-ops scale_only --groups 128"
run build_after timeout 260 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $G/after --jobs 12 $SEL
run build_before timeout 230 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $G/before --jobs 12 $SEL --kernel-fixes 0002,0003,0004,0005,0006,0007,0008,0009,0010,0011,0012,0013
for v in before after; do cp $G/$v/build_info.json $O/build_info_$v.json; done
sha256sum $G/before/w4a16SM90* $G/after/w4a16SM90* > $O/sha256.txt
T=$G/after/w4a16SM90SimpleTest
run suite timeout 60 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 100 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
for f in $O/build_after.txt $O/build_before.txt $O/suite.txt $O/reference.txt; do echo "== $(basename $f)"; tail -n 3 $f; done; grep -h "cases:" $O/suite.txt | head -3; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
