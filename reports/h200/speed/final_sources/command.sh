#!/bin/bash
# The final sources on the GPU: the binaries the CI command builds from a clean clone (ci and
# ci-full presets, series 0002 to 0007) and the Machete peer, through the suite and the
# bench's default path.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry11; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
tar xzf $C/bins.tgz -C $C
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/ci/w4a16SM90* $C/ci-full/w4a16SM90* $C/machete/w4a16MacheteBench > $O/sha256.txt
run gtest_ci_full timeout 120 $W run $C/ci-full/w4a16SM90SimpleTest --xml $O/gtest_ci_full.xml
run gtest_ci timeout 90 $W run $C/ci/w4a16SM90SimpleTest --xml $O/gtest_ci.xml
run bench timeout 150 $W bench --binary $C/ci-full/w4a16SM90Bench --machete-binary $C/machete/w4a16MacheteBench --quick --no-int4pack --budget-ms 5 --out $O/bench
grep -h "cases:" $O/gtest_*.txt; tail -3 $O/bench.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
