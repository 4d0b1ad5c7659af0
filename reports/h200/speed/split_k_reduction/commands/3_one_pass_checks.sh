#!/bin/bash
# Fix 0016 (split-K reduced in one pass) on the H200: suite, torch reference, memcheck and racecheck on the slim build
# "after" made on the CPU machine (tiles 64x16, 128x16 and 256x16, fp16 scale-only, the series 0002 to 0016).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry32; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
V=/tmp/v; mkdir -p $V/after; for b in w4a16SM90SimpleTest w4a16SM90Bench w4a16SM90Tool; do unxz $C/after/$b.xz $V/after/$b; done
cp $C/after/build_info.json $O/build_info_after.json; sha256sum $V/*/w4a16SM90* > $O/sha256.txt
T=$V/after/w4a16SM90SimpleTest
run suite timeout 120 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 90 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*:AllCases/GPU_Tactic.MatchesReference/splitk_decode_*:AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/san_memcheck.log
run san_racecheck timeout 60 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/splitk_decode_*' --log $O/san_racecheck.log
tail -n 3 $O/suite.txt $O/reference.txt $O/san_*.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
