#!/bin/bash
# Build the series 0002 to 0013 on the GPU machine: full tree, every fp16 scale-only tactic and the GEMV (group 128).
# Then time every kernel in the bench's order: (train) the eight Llama-3-8B and Llama-2-70B projections, (heldout) the
# 16 weight shapes of ../default_by_shape/, at M = 1 to 128 (14 values, four of them run by the 64-wide tiles). The
# records price the default's cost table (../../../cpu/default_refit/). The test and tool binaries come back for the
# correctness run (2_checks.sh).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry26; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
A=/tmp/b13
run build timeout 300 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $A --jobs 14 --tiles all --activations fp16 --quant-ops scale_only --groups 128
cp $A/build_info.json $O/build_info.json; sha256sum $A/w4a16SM90* > $O/sha256.txt
M=1,2,3,4,8,16,24,32,40,48,56,64,96,128
S="--shape 5120,8192 --shape 8192,4096 --shape 14336,8192 --shape 8192,14336 --shape 2560,8192 --shape 8192,2048 --shape 7168,8192 --shape 8192,7168 --shape 7168,5120 --shape 5120,5120 --shape 27648,5120 --shape 5120,27648"
run train timeout 120 $W bench --binary $A/w4a16SM90Bench --out $O/train --models llama3-8b,llama2-70b --dtypes fp16 --m $M --budget-ms 5 --no-int4pack --time-limit 110
run heldout timeout 200 $W bench --binary $A/w4a16SM90Bench --out $O/heldout --models qwen2.5-7b $S --dtypes fp16 --m $M --budget-ms 5 --no-int4pack --time-limit 190
mkdir -p $OUT/bin && for b in w4a16SM90SimpleTest w4a16SM90Tool; do $PY -c "import lzma,shutil,sys; shutil.copyfileobj(open(sys.argv[1],'rb'), lzma.open(sys.argv[2],'wb',preset=6))" $A/$b $OUT/bin/$b.xz; done
tail -3 $O/build.txt; tail -3 $O/train.txt $O/heldout.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
