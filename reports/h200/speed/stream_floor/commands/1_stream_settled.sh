#!/bin/bash
# The stream floor beside the decode kernels, settled. A full-tree build of the series (fixes 0002 to 0015) made on the
# CPU machine and carried: the 64x16, 128x16, 256x16 and 128x256 tiles (fp16, scale-only) and the GEMV for group 128.
# (a) the suite on that build and the bench binary's own checks, the stream record included;
# (b) the eight Llama projections at M = 1, 2, 3, 4, 8, 16: the GEMV, 64x16 ping-pong, 128x16 and 256x16 (cluster 1),
#     each problem's stream floor and cuBLAS fp16, every kernel settled 1000 ms;
# (c) the four held-out shapes where Machete led at M = 256: our 128x256 tile beside Machete's 128x256 schedule,
#     settled, and one launch of each on the widest of them under ncu (launch, occupancy, throughput, instructions).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry30; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt; ncu --version > $O/ncu_version.txt
B=/tmp/bs; mkdir -p $B; for f in w4a16SM90Bench w4a16SM90SimpleTest w4a16SM90Tool; do $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/bs/$f.xz $B/$f; chmod +x $B/$f; done
cp $C/bs/build_info.json $B/ && cp $C/bs/build_info.json $O/build_info.json
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/machete && chmod +x /tmp/machete
sha256sum $B/w4a16SM90* /tmp/machete > $O/sha256.txt
# (a)
run suite $W run $B/w4a16SM90SimpleTest --xml $O/suite.xml
run bench_checks env W4A16_BINARY=$B/w4a16SM90SimpleTest timeout 120 $PY -m pytest py_tests/bench/test_bench_binary.py -p no:cacheprovider -q --junitxml=$O/bench_checks.xml
# (b)
T=cuda_core_gemv,tile64x16x64_cluster1x1x1_pingpong,tile128x16x64_cluster1x1x1_coop,tile256x16x64_cluster1x1x1_coop
run settled timeout 420 $W bench --binary $B/w4a16SM90Bench --out $O/settled --models llama3-8b,llama2-70b --dtypes fp16 --m 1,2,3,4,8,16 --tactics $T --settle-ms 1000 --budget-ms 10 --no-int4pack --time-limit 380
# (c)
S="--shape 18944,3584 --shape 14336,8192 --shape 27648,5120 --shape 5120,27648"
run m256 timeout 60 $W bench --binary $B/w4a16SM90Bench --machete-binary /tmp/machete --machete-schedules 128x256_2x1x1_TmaMI_TmaCoop_streamK --out $O/m256 $S --dtypes fp16 --m 256 --tactics tile128x256x64_cluster1x1x1_coop,tile128x256x64_cluster2x1x1_coop --settle-ms 1000 --budget-ms 10 --no-int4pack
NCU="ncu --clock-control none --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats --section InstructionStats --section SchedulerStats --csv --page details -k regex:device_kernel"
P="--n 27648 --k 5120 --m 256 --budget-ms 1 --min-samples 1 --max-samples 1 --warmup 0"
for t in tile128x256x64_cluster1x1x1_coop tile128x256x64_cluster2x1x1_coop; do
  echo "\$ $NCU --launch-count 1 w4a16SM90Bench $P --tactics $t" > $O/ncu_ours_$t.cmd
  timeout 60 $NCU --launch-count 1 $B/w4a16SM90Bench $P --tactics $t > $O/ncu_ours_$t.csv 2> $O/ncu_ours_$t.log; echo "ncu ours $t exit $?"
done
s=128x256_2x1x1_TmaMI_TmaCoop_streamK
echo "\$ $NCU --launch-count 2 w4a16MacheteBench $P --schedules $s" > $O/ncu_machete_$s.cmd
timeout 60 $NCU --launch-count 2 /tmp/machete $P --schedules $s > $O/ncu_machete_$s.csv 2> $O/ncu_machete_$s.log; echo "ncu machete exit $?"
tail -n 2 $O/suite.txt $O/bench_checks.txt; tail -n 3 $O/settled.txt $O/m256.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
