#!/bin/bash
# The layout fix 0014 relies on, checked on the GPU: a slim build without -DNDEBUG (w4a16 build --slice --keep-asserts
# --tiles 64x16,256x16 --activations fp16 --quant-ops scale_only, built on the CPU machine, ../../../cpu/ldmatrix_reads/)
# asserts in every consumer thread that a quad's words of each ldmatrix fill one aligned 16-byte row. The suite and
# the torch reference run its four tactics (64x16 ping-pong, 256x16 with 1x1 and 2x1 clusters; 64 and 128 deep).
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry28; O=$OUT/r; mkdir -p $O
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
K=$PWD/.carry28/kab; sha256sum $K/w4a16SM90SimpleTest $K/w4a16SM90Tool > $O/sha256.txt; cp $K/build_info.json $O/
run suite timeout 120 $W run $K/w4a16SM90SimpleTest --xml $O/suite.xml
run reference env W4A16_BINARY=$K/w4a16SM90SimpleTest timeout 120 $PY -m pytest py_tests/reference -p no:cacheprovider -q --junitxml=$O/reference.xml
tail -n 2 $O/suite.txt $O/reference.txt; grep -h "^exit" $O/*.txt
cd $OUT && tar czf /tmp/r.tgz r && rm -rf r && mv /tmp/r.tgz $OUT/
