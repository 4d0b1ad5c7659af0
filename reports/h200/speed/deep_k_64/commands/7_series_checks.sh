#!/bin/bash
# The series with fix 0012 (128-deep K tiles for the tiles 64 tokens wide), full tree with the 64-wide tiles, fp16
# scale-only, group 128: the suite, the torch reference, memcheck and racecheck.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry25; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b/dk12; for f in $C/dk12/*.xz; do g=/tmp/b/dk12/$(basename $f .xz); $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $f $g; chmod +x $g; done; cp $C/dk12/build_info.json /tmp/b/dk12/
sha256sum /tmp/b/dk12/w4a16SM90* > $O/sha256.txt
T=/tmp/b/dk12/w4a16SM90SimpleTest
run suite timeout 100 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 120 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 60 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_memcheck.log
run san_racecheck timeout 60 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_racecheck.log
for f in $O/*.txt; do echo "== $(basename $f)"; tail -n 2 $f; done
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
