#!/bin/bash
# The whole series, full tree (same binaries as calls 1 and 2, the tool beside the test): the independent torch
# reference through the tool's case mode; compute-sanitizer memcheck on every tactic of the fp16 scale-only decode_square
# and kv8b cases, racecheck on every tactic of kv8b.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry19; O=$OUT/r; mkdir -p $O
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
B=/tmp/ftall; gunzip -c $C/w4a16SM90Tool.gz > $B/w4a16SM90Tool && chmod +x $B/w4a16SM90Tool
sha256sum $B/w4a16SM90SimpleTest $B/w4a16SM90Tool > $O/sha256.txt
run reference env W4A16_BINARY=$B/w4a16SM90SimpleTest timeout 170 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 200 $W sanitize $B/w4a16SM90SimpleTest --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*:AllCases/GPU_Tactic.MatchesReference/decode_square_*' --log $O/san_memcheck.log
run san_racecheck timeout 150 $W sanitize $B/w4a16SM90SimpleTest --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/san_racecheck.log
tail -3 $O/reference.txt; tail -2 $O/san_memcheck.txt $O/san_racecheck.txt; grep -c "^\[       OK \]" $O/san_memcheck.log $O/san_racecheck.log; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
