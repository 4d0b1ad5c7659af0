#!/bin/bash
# The method's noise floor: one binary (the whole series, the bench of ../beside_machete_m512_to_4096/) timed as two
# variants "a" and "b" with `w4a16 lab variants`, "passes": 2 (a b, then b a, on each shape), 128x256 at cluster 1x1,
# eight Llama shapes, M = 1024, 2048 and 4096, every kernel settled 1000 ms. Any ratio other than 1 is the method's.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry43; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
unxz() { $PY -c "import lzma,sys; open(sys.argv[2],'wb').write(lzma.open(sys.argv[1]).read())" "$1" "$2" && chmod +x "$2"; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
mkdir -p /tmp/b17; unxz $C/b17/w4a16SM90Bench.xz /tmp/b17/w4a16SM90Bench; cp $C/b17/build_info.json $O/build_info_bench.json
sha256sum /tmp/b17/w4a16SM90Bench > $O/sha256.txt; cp $C/plan_same_binary.json $O/
run variants timeout 230 $W lab variants --plan $O/plan_same_binary.json --out $O/variants
[ -s $O/variants/summary.json ] || $W lab variants --plan $O/plan_same_binary.json --out $O/variants --from-records > /dev/null 2>&1
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
tar xzf $OUT/r.tgz -O r/variants/table.txt | tail -30
