#!/bin/bash
# The torch-reference tests after their tactic verdict moved into py_tests/reference/support.py (judge_tactic):
# the series 0002 to 0013, tile 64x16 and the GEMV, fp16 and bf16, both quant ops, groups 64 and 128, built on the
# GPU machine; then every reference test of the GEMV (pairwise cases and one per M = 1..15) and of the 64x16 tile.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/bref
run build timeout 240 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 14 --tiles 64x16 --activations fp16,bf16 --quant-ops scale_only,scale_zeros --groups 64,128
cp $A/build_info.json $O/; sha256sum $A/w4a16SM90* > $O/sha256.txt
run reference env W4A16_BINARY=$A/w4a16SM90SimpleTest timeout 240 $PY -m pytest py_tests/reference -p no:cacheprovider -q -rs -k 'cuda_core_gemv or test_gemv_every_m or tile64x16' --junitxml=$O/reference.xml
tail -n 3 $O/reference.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
