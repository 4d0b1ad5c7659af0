#!/bin/bash
# The series 0002 to 0015 on the H200. A full-tree build of every fp16 scale-only tactic and the GEMV (group 128); while
# it compiles, the bf16 slim build made on the CPU machine (64x16 and 256x16, scale-only and scale+zeros) runs the
# suite, the torch reference and memcheck. Then the full tree: suite through the runner, torch reference on every
# tactic, memcheck and racecheck on decode cases; every tactic timed on the eight Llama projections and on the 16
# held-out weight shapes at M = 1 to 128; and Llama-2-70B gate_up and down at M <= 16 with every kernel settled 1000 ms.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry29; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
G=/tmp/gf; run build timeout 270 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $G --jobs 14 --tiles all --activations fp16 --quant-ops scale_only --groups 128 &
B=/tmp/bf; mkdir -p $B; for b in w4a16SM90SimpleTest w4a16SM90Tool; do unxz $C/bf16/$b.xz $B/$b; done; cp $C/bf16/build_info.json $O/build_info_bf16.json
run bf16_suite timeout 120 $W run $B/w4a16SM90SimpleTest --xml $O/bf16_suite.xml
run bf16_reference env W4A16_BINARY=$B/w4a16SM90SimpleTest timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/bf16_reference.xml
run bf16_memcheck timeout 60 $W sanitize $B/w4a16SM90SimpleTest --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*:AllCases/GPU_Tactic.MatchesReference/down70b_decode_*' --log $O/bf16_memcheck.log
wait
cp $G/build_info.json $O/build_info_full.json; sha256sum $G/w4a16SM90* $B/w4a16SM90* > $O/sha256.txt; T=$G/w4a16SM90SimpleTest
run suite timeout 60 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 130 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run memcheck timeout 40 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*:AllCases/GPU_Tactic.MatchesReference/gate8b_*' --log $O/memcheck.log
run racecheck timeout 40 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/racecheck.log
run bench_llama timeout 80 $W bench --binary $G/w4a16SM90Bench --out $O/llama --dtypes fp16 --m 1,2,3,4,8,16,32,48,64,128 --budget-ms 5 --no-int4pack --time-limit 70
S="--shape 5120,8192 --shape 8192,4096 --shape 14336,8192 --shape 8192,14336 --shape 2560,8192 --shape 8192,2048 --shape 7168,8192 --shape 8192,7168 --shape 7168,5120 --shape 5120,5120 --shape 27648,5120 --shape 5120,27648"
run bench_heldout timeout 90 $W bench --binary $G/w4a16SM90Bench --out $O/heldout --models qwen2.5-7b $S --dtypes fp16 --m 1,2,4,8,16,32,64,128 --budget-ms 5 --no-int4pack --time-limit 80
run settled timeout 110 $W bench --binary $G/w4a16SM90Bench --out $O/settled --models llama2-70b --layers gate_up,down --dtypes fp16 --m 1,2,3,4,8,16 --settle-ms 1000 --tactics cuda_core_gemv,tile256x16x64_cluster1x1x1_coop,tile256x16x64_cluster2x1x1_coop --no-int4pack --budget-ms 5 --time-limit 100
tail -n 2 $O/bf16_suite.txt $O/bf16_reference.txt $O/bf16_memcheck.txt $O/build.txt $O/suite.txt $O/reference.txt $O/memcheck.txt $O/racecheck.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
