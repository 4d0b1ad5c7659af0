#!/bin/bash
# The scale-after-MMA experiment on the H200, slim builds made on the CPU machine (the series 0002 to 0014, tiles
# 64x16 and 256x16, fp16 scale-only): "before" without the experiment patch, "after" with it. Suite, torch reference,
# memcheck and racecheck on "after"; then both timed in one run (lab variants, the eight Llama shapes, M = 1 to 32,
# with cuBLAS and the floor); then Nsight Compute (full set, SASS stall sampling) of "after" 256x16 on 70B gate_up.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry29; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
V=/tmp/v; mkdir -p $V/before $V/after; unxz $C/l14_bench.xz $V/before/w4a16SM90Bench
for b in w4a16SM90SimpleTest w4a16SM90Bench w4a16SM90Tool; do unxz $C/fold/$b.xz $V/after/$b; done
cp $C/l14_build_info.json $O/build_info_before.json; cp $C/fold/build_info.json $O/build_info_after.json; sha256sum $V/*/w4a16SM90* > $O/sha256.txt
T=$V/after/w4a16SM90SimpleTest
run suite timeout 120 $W run $T --xml $O/suite.xml
run reference env W4A16_BINARY=$T timeout 150 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
run san_memcheck timeout 90 $W sanitize $T --tool memcheck --filter 'AllCases/GPU_Tactic.MatchesReference/decode_square_*:AllCases/GPU_Tactic.MatchesReference/down70b_decode_*' --log $O/san_memcheck.log
run san_racecheck timeout 60 $W sanitize $T --tool racecheck --filter 'AllCases/GPU_Tactic.MatchesReference/kv8b_*' --log $O/san_racecheck.log
cp reports/h200/speed/scale_after_mma/commands/plan_decode.json $O/
run variants timeout 200 $W lab variants --plan $O/plan_decode.json --root $V --out $O/variants
run ncu ncu --clock-control none -k regex:device_kernel -c 1 --set full --import-source no -f -o $O/gate_up_256x16_m16 $V/after/w4a16SM90Bench --n 28672 --k 8192 --m 16 --tactics tile256x16x64_cluster1x1x1_coop --min-samples 1 --max-samples 1 --budget-ms 0.1 --warmup 0 --max-launches 1
ncu -i $O/gate_up_256x16_m16.ncu-rep --page source --csv --print-source sass > $O/gate_up_256x16_m16_source.csv 2>&1; ncu -i $O/gate_up_256x16_m16.ncu-rep --page raw --csv > $O/gate_up_256x16_m16_raw.csv 2>&1
tail -n 2 $O/suite.txt $O/reference.txt $O/san_*.txt; tail -n 45 $O/variants.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
