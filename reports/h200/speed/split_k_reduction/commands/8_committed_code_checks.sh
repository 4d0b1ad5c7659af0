#!/bin/bash
# Fix 0016 as committed (its partial-tile address written once, in a lambda) on 128x16, 256x16 and 128x256, every cluster,
# fp16 scale-only (slim build made on the CPU machine): suite, torch reference, memcheck and racecheck on the cases
# that fix 0003 splits into 3 or more parts (decode_square, splitk_decode, kv8b).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry33; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
V=/tmp/v; mkdir -p $V/re; for b in w4a16SM90SimpleTest w4a16SM90Tool; do unxz $C/re/$b.xz $V/re/$b; done
cp $C/re/build_info.json $O/build_info_re.json; sha256sum $V/*/w4a16SM90* > $O/sha256.txt
T=$V/re/w4a16SM90SimpleTest; F='AllCases/GPU_Tactic.MatchesReference/decode_square_*:AllCases/GPU_Tactic.MatchesReference/splitk_decode_*:AllCases/GPU_Tactic.MatchesReference/kv8b_*'
run suite timeout 120 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run memcheck timeout 120 $W sanitize $T --tool memcheck --filter "$F" --log $O/memcheck.log
run racecheck timeout 120 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/racecheck.log
tail -n 2 $O/suite.txt $O/reference.txt $O/memcheck.txt $O/racecheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
