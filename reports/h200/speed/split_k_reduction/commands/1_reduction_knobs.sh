#!/bin/bash
# What the split-K reduction of the 128x16 and 256x16 decode tiles costs (series 0002 to 0015, slim build with
# the launcher-knob experiment patch in place of fix 0003):
# (a) `w4a16 lab variants`: data-parallel, split-K 2/3/4/6 with CUTLASS's deterministic and nondeterministic
#     reduction, stream-K, on the six Llama shapes whose decode tiles do not fill the GPU, M = 16;
# (b) ncu: the GEMM kernel's own duration (no graph, no workspace memset) for some of the same settings.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry31; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt; ncu --version > $O/ncu_version.txt
B=/tmp/bk; mkdir -p $B; $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/bk/w4a16SM90Bench.xz $B/w4a16SM90Bench; chmod +x $B/w4a16SM90Bench
cp $C/bk/build_info.json $O/build_info.json; sha256sum $B/w4a16SM90Bench > $O/sha256.txt; cp $C/plan_reduction.json $O/
run variants timeout 300 $W lab variants --plan $O/plan_reduction.json --out $O/variants
prof() { n=$1 nk=$2 tac=$3; shift 3; echo "\$ $* ncu ... --n ${nk% *} --k ${nk#* } --tactics $tac" > $O/ncu_$n.txt
  env "$@" timeout 60 ncu --clock-control none -k regex:device_kernel -c 1 --csv --metrics gpu__time_duration.sum,launch__grid_size,sm__cycles_active.avg,dram__throughput.avg.pct_of_peak_sustained_elapsed \
    $B/w4a16SM90Bench --n ${nk% *} --k ${nk#* } --m 16 --tactics $tac --budget-ms 0 --min-samples 1 --max-samples 1 --warmup 0 >> $O/ncu_$n.txt 2>&1; echo "exit $?" >> $O/ncu_$n.txt; }
T2=tile256x16x64_cluster1x1x1_coop; T1=tile128x16x64_cluster1x1x1_coop; P=tile64x16x64_cluster1x1x1_pingpong
D="8192 28672"; OO="8192 8192"; E="4096 14336"
prof down70_256_dp "$D" $T2 W4A16_X_DECOMP=1;  prof down70_256_s2 "$D" $T2 W4A16_X_DECOMP=2 W4A16_X_SPLITS=2
prof down70_256_s4 "$D" $T2 W4A16_X_DECOMP=2 W4A16_X_SPLITS=4; prof down70_256_s4n "$D" $T2 W4A16_X_DECOMP=2 W4A16_X_SPLITS=4 W4A16_X_REDUCTION=1
prof o70_128_dp "$OO" $T1 W4A16_X_DECOMP=1; prof o70_128_s2 "$OO" $T1 W4A16_X_DECOMP=2 W4A16_X_SPLITS=2
prof o70_128_s2n "$OO" $T1 W4A16_X_DECOMP=2 W4A16_X_SPLITS=2 W4A16_X_REDUCTION=1; prof o70_64_pp "$OO" $P W4A16_X_DECOMP=0
prof down8_128_dp "$E" $T1 W4A16_X_DECOMP=1; prof down8_128_s4 "$E" $T1 W4A16_X_DECOMP=2 W4A16_X_SPLITS=4
prof down8_128_s4n "$E" $T1 W4A16_X_DECOMP=2 W4A16_X_SPLITS=4 W4A16_X_REDUCTION=1
for f in $O/ncu_*.txt; do printf "%-22s" $(basename $f .txt); grep -h '"gpu__time_duration.sum"\|"launch__grid_size"' $f | awk -F'","' '{printf " %s=%s", $(NF-2), $NF}'; echo; done | tee $O/ncu_summary.txt
tail -40 $O/variants.txt; grep -h "^exit" $O/*.txt | sort | uniq -c
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
