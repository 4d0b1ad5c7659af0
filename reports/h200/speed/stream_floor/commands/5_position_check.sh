#!/bin/bash
# The stream kernel with position-weighted block sums (commit 6b2fa55), built on the CPU machine like the bench binary of
# 4_stream_settled.sh and carried: the bench binary's own checks, and the two problems of 4_stream_settled.sh's
# one_problem.txt plus Llama-3-8B o, unsettled, to compare the stream floor with the earlier kernel's.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry30; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/b2; mkdir -p $B; $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/bs2/w4a16SM90Bench.xz $B/w4a16SM90Bench; chmod +x $B/w4a16SM90Bench
cp $C/bs2/build_info.json $O/; sha256sum $B/w4a16SM90Bench > $O/sha256.txt
run bench_checks env W4A16_BENCH_BINARY=$B/w4a16SM90Bench W4A16_BINARY=$B/w4a16SM90SimpleTest timeout 120 $PY -m pytest py_tests/bench/test_bench_binary.py -p no:cacheprovider -q -k "stream or help or bad_arguments"
run one_problem $B/w4a16SM90Bench --n 28672 --k 8192 --m 1,16 --tactics cuda_core_gemv --budget-ms 10
run llama3_8b_o $B/w4a16SM90Bench --n 4096 --k 4096 --m 1,16 --tactics cuda_core_gemv --budget-ms 10
grep -h '"stream"' $O/one_problem.txt $O/llama3_8b_o.txt | cut -c1-240; tail -n 2 $O/bench_checks.txt; grep -h "^exit" $O/*.txt
