#!/bin/bash
# The series 0002 to 0016 through TensorRT-LLM's runner: a full-tree build made on the CPU machine (tiles 64x16, 128x16
# and 256x16, fp16 scale-only, the CUDA-core GEMV for group 128) runs the suite, the torch reference and memcheck; a
# bf16 scale+zero slim build (128x16) runs the one case of that pair that fix 0016 reduces (7 and 9 splits, group 64).
# Then the decode sizes settled as in ../../stream_floor/ (every kernel 1000 ms, the stream floor, cuBLAS), and the
# two down projections timed once more before and after 0016 in one run, "after" first this time.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry32; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
V=/tmp/v; mkdir -p $V/before $V/after $V/full $V/bf16z; unxz $C/before/w4a16SM90Bench.xz $V/before/w4a16SM90Bench; unxz $C/after/w4a16SM90Bench.xz $V/after/w4a16SM90Bench
for b in w4a16SM90SimpleTest w4a16SM90Bench w4a16SM90Tool; do unxz $C/full/$b.xz $V/full/$b; done; unxz $C/bf16z/w4a16SM90SimpleTest.xz $V/bf16z/w4a16SM90SimpleTest
for d in before after full bf16z; do cp $C/$d/build_info.json $O/build_info_$d.json; done; sha256sum $V/*/w4a16SM90* > $O/sha256.txt
T=$V/full/w4a16SM90SimpleTest
run suite timeout 120 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run memcheck timeout 90 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*:AllCases/GPU_Tactic.MatchesReference/splitk_decode_*' --log $O/memcheck.log
run bf16z_suite timeout 60 $W run $V/bf16z/w4a16SM90SimpleTest --xml $O/bf16z_suite.xml
run bf16z_memcheck timeout 60 $W sanitize $V/bf16z/w4a16SM90SimpleTest --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/splitk_decode_g64_*' --log $O/bf16z_memcheck.log
cp reports/h200/speed/split_k_reduction/commands/plan_down_repeat.json $O/
run down_repeat timeout 120 $W lab variants --plan $O/plan_down_repeat.json --root $V --out $O/down_repeat
S=cuda_core_gemv,tile64x16x64_cluster1x1x1_pingpong,tile128x16x64_cluster1x1x1_coop,tile256x16x64_cluster1x1x1_coop
run settled timeout 400 $W bench --binary $V/full/w4a16SM90Bench --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 1,2,3,4,8,16 --tactics $S --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 380
tail -n 2 $O/suite.txt $O/reference.txt $O/memcheck.txt $O/bf16z_*.txt; tail -n 16 $O/down_repeat.txt; tail -n 3 $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
