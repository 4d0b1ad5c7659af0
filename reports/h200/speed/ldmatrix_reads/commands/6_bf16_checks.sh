#!/bin/bash
# Fix 0014 with bf16 activations and both quant ops: a slim build of the series 0002 to 0014 (w4a16 build --slice
# --tiles 64x16,128x16,256x16 --activations bf16 --quant-ops scale_only,scale_zeros --tus 5, built on the CPU machine,
# ../../../cpu/ldmatrix_reads/): the 64x16 ping-pong, 128x16 and 256x16 tactics (one and two 64-row wgmma tiles per
# warpgroup, 64 and 128 deep). The suite, the torch reference, and memcheck on the bf16 decode cases (gate8b, qkv8b,
# down70b_decode).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry28; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
K=/tmp/bf; mkdir -p $K; cp $C/bf/build_info.json $K/; for b in w4a16SM90SimpleTest w4a16SM90Tool; do $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" $C/bf/$b.xz $K/$b && chmod +x $K/$b; done
T=$K/w4a16SM90SimpleTest; sha256sum $T $K/w4a16SM90Tool > $O/sha256.txt; cp $K/build_info.json $O/
run suite timeout 60 $W run $T --xml $O/suite.xml
run san_memcheck timeout 60 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/gate8b_*:AllCases/GPU_Tactic.MatchesReference/qkv8b_*:AllCases/GPU_Tactic.MatchesReference/down70b_decode_*' --log $O/san_memcheck.log
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
tail -n 2 $O/suite.txt $O/san_memcheck.txt $O/reference.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
