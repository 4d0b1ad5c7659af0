#!/bin/bash
# The stream floor with the 28-register kernel, beside the decode kernels, settled: the bench binary of
# 1_stream_settled.sh rebuilt after the stream kernel changed (its suite and tool binaries are unchanged, same SHA-256).
# (a) the bench binary's own checks, the stream record included, and one unsettled problem at the size of the
#     variants study's largest decode shape; (b) the settled sweep of 1_stream_settled.sh, part (b), repeated.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry30; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/bs; mkdir -p $B; for f in w4a16SM90Bench w4a16SM90SimpleTest w4a16SM90Tool; do $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/bs/$f.xz $B/$f; chmod +x $B/$f; done
cp $C/bs/build_info.json $B/ && cp $C/bs/build_info.json $O/build_info.json
sha256sum $B/w4a16SM90* > $O/sha256.txt
run bench_checks env W4A16_BINARY=$B/w4a16SM90SimpleTest timeout 120 $PY -m pytest py_tests/bench/test_bench_binary.py -p no:cacheprovider -q --junitxml=$O/bench_checks.xml
run one_problem $B/w4a16SM90Bench --n 28672 --k 8192 --m 1,16 --tactics cuda_core_gemv --budget-ms 10
T=cuda_core_gemv,tile64x16x64_cluster1x1x1_pingpong,tile128x16x64_cluster1x1x1_coop,tile256x16x64_cluster1x1x1_coop
run settled timeout 420 $W bench --binary $B/w4a16SM90Bench --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 1,2,3,4,8,16 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 380
grep -h '"stream"' $O/one_problem.txt | cut -c1-220; tail -n 2 $O/bench_checks.txt $O/settled.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
