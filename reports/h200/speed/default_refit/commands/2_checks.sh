#!/bin/bash
# The final series 0002 to 0013 with the test that checks 0013's picks: full tree, every fp16 scale-only tactic and
# the GEMV (group 128), built on the GPU machine. The whole suite, the torch reference, memcheck on every case run
# through the default config, and the default's picks priced on the records of 1_build_bench.sh by this build's tool.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/b13f
run build timeout 280 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 14 --tiles all --activations fp16 --quant-ops scale_only --groups 128
cp $A/build_info.json $O/build_info.json; sha256sum $A/w4a16SM90* > $O/sha256.txt
T=$A/w4a16SM90SimpleTest
run suite timeout 100 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 130 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 100 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_DefaultConfig.*' --log $O/san_memcheck.log
run crossover_train timeout 30 $W lab crossover $C/train_records.jsonl.gz --default-rule-tool $A/w4a16SM90Tool --out $O/crossover_train.md
run crossover_heldout timeout 30 $W lab crossover $C/heldout_records.jsonl.gz --default-rule-tool $A/w4a16SM90Tool --out $O/crossover_heldout.md
for f in $O/suite.txt $O/reference.txt $O/san_memcheck.txt; do echo "== $(basename $f)"; tail -n 3 $f; done; grep -h "DeepKRows\|cases:" $O/suite.txt | head -5; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
