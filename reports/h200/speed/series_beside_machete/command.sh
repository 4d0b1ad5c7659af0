#!/bin/bash
# Full tree (runner, GEMV, 21 fp16 tactics): the series with and without the deep-K fixes, and vLLM's Machete, same run.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry6; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version --format=csv > $O/env.txt
sha256sum $C/before/w4a16SM90Bench $C/after/w4a16SM90Bench $C/machete/w4a16MacheteBench > $O/sha256.txt
run bench timeout 300 $W bench --binary $C/after/w4a16SM90Bench --machete-binary $C/machete/w4a16MacheteBench --out $O/bench --models llama3-8b,llama2-70b --dtypes fp16 --m 1,4,8,16,64,256,1024,4096 --budget-ms 10 --no-int4pack --time-limit 270
cp $C/plan_series.json $O/plan.json
run variants timeout 200 $W lab variants --plan $O/plan.json --root $C --out $O/variants
tail -25 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
