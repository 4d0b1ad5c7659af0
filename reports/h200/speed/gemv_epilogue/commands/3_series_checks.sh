#!/bin/bash
# The series with fix 0011 (the GEMV's reduce-scatter epilogue). GEMV build (tile 64x16, fp16 and bf16, both quant ops,
# GEMV groups 64 and 128): the suite's GEMV cases with the seed of the run without the fix (output hashes compared),
# the torch reference of the GEMV (pairwise cases and one case per M = 1..15), memcheck and racecheck; the same
# per-M reference on the build without the fix; fp16 full tree (every tile): the whole suite and the torch reference.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry23; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
for d in ft11 y11 ybefore; do mkdir -p /tmp/b/$d; for f in $C/$d/*.xz; do g=/tmp/b/$d/$(basename $f .xz); $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $f $g; chmod +x $g; done; cp $C/$d/build_info.json /tmp/b/$d/; done
sha256sum /tmp/b/*/w4a16SM90* > $O/sha256.txt
Y=/tmp/b/y11/w4a16SM90SimpleTest; F=/tmp/b/ft11/w4a16SM90SimpleTest
run gemv_suite env W4A16_SEED=20261130 timeout 120 $W run $Y --filter '*cuda_core_gemv*' --xml $O/gemv_suite.xml
run gemv_reference env W4A16_BINARY=$Y timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q -k 'cuda_core_gemv or test_gemv_every_m' --junitxml=$O/gemv_reference.xml
run gemv_every_m_without_fix env W4A16_BINARY=/tmp/b/ybefore/w4a16SM90SimpleTest timeout 120 $PY -m pytest py_tests/reference/test_gemv_every_m.py -p no:cacheprovider -q --junitxml=$O/gemv_every_m_without_fix.xml
run san_memcheck timeout 100 $W sanitize $Y --tool memcheck --filter '*cuda_core_gemv*' --log $O/san_memcheck.log
run san_racecheck timeout 100 $W sanitize $Y --tool racecheck --filter '*cuda_core_gemv*' --log $O/san_racecheck.log
run suite_fp16_full_tree timeout 150 $W run $F --xml $O/suite_fp16_full_tree.xml
run reference_fp16_full_tree env W4A16_BINARY=$F timeout 200 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference_fp16_full_tree.xml
for f in $O/*.txt; do echo "== $(basename $f)"; tail -n 2 $f; done
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
