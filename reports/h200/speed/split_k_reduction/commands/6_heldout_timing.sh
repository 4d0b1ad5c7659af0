#!/bin/bash
# Fix 0016 (split-K reduced in one pass) against the series without it on held-out weight shapes (Qwen2.5-7B and
# Qwen2.5-72B projections, M = 1 to 16), timed in one run on the H200 with the slim bench binaries of 4_one_pass_timing.sh.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry32; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
V=/tmp/v; mkdir -p $V/before $V/after; unxz $C/before/w4a16SM90Bench.xz $V/before/w4a16SM90Bench; unxz $C/after/w4a16SM90Bench.xz $V/after/w4a16SM90Bench
cp $C/before/build_info.json $O/build_info_before.json; cp $C/after/build_info.json $O/build_info_after.json; sha256sum $V/*/w4a16SM90* > $O/sha256.txt
cp reports/h200/speed/split_k_reduction/commands/plan_heldout.json $O/
run variants timeout 300 $W lab variants --plan $O/plan_heldout.json --root $V --out $O/heldout
tail -n 45 $O/variants.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
