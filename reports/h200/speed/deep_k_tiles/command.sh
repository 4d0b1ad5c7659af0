#!/bin/bash
# Deep-K correctness and speed: gtest, torch reference, sanitizers on the deep build; base vs deep timing.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry4
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; O=$OUT; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,clocks.max.sm --format=csv > $O/env.txt; $PY -c "import torch;print(torch.__version__, torch.version.cuda)" >> $O/env.txt
sha256sum $C/bdeep/w4a16SM90* $C/bbase/w4a16SM90* > $O/sha256.txt
D=$C/bdeep/w4a16SM90SimpleTest
run gtest $W run $D --xml $O/gtest.xml
run reference env W4A16_BINARY=$D timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
F='AllCases/GPU_Tactic.MatchesReference/decode_square_*'
for t in memcheck racecheck synccheck; do run san_$t timeout 100 $W sanitize $D --tool $t --filter "$F" --log $O/san_$t.log; done
cp $C/plan_deepk.json $O/plan.json
run variants timeout 280 $W lab variants --plan $O/plan.json --root $C --out $O/variants
tail -40 $O/variants.txt
grep -h "exit" $O/*.txt; cd $O && tar czf /tmp/deepk_run.tgz --exclude=deepk_run.tgz . && rm -rf $O/* && mv /tmp/deepk_run.tgz $O/
