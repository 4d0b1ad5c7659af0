#!/bin/bash
# How the 128x128 and 256x128 tiles share the K loop at M = 128 and 256 on the three shapes where Machete's schedule of
# the same tile led ours settled (../heldout_settled/). A slim build (flashinfer slice) of the 128x128 and 256x128 tiles,
# fp16 scale-only, made on the CPU machine and carried: kernel fixes 0002, 0004, 0005, 0008, 0010, 0012, 0014, 0015 and
# the experiment patch patches/experiments/slice-launcher-knobs.patch, which takes fix 0003's place with runtime knobs
# (fixes 0006, 0009 and 0013 choose default configs and build on 0003; 0007 and 0011 are the GEMV's, not in the slice). Each setting times both tiles (cluster 1) at
# M = 128 and 256, every kernel settled 1000 ms, with the knobs' verbose line (grid and stream-K decomposition) on stderr.
set -o pipefail; O=$OUT/r; mkdir -p $O; C=$PWD/.carry30; PY=/opt/torch/.venv/bin/python3
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
B=/tmp/kn; $PY -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" $C/kn/w4a16SM90Bench.xz $B; chmod +x $B
cp $C/kn/build_info.json $O/build_info.json; sha256sum $B > $O/sha256.txt
T=tile128x128x64_cluster1x1x1_coop,tile256x128x64_cluster1x1x1_coop
for v in "heuristic:" "dp:W4A16_X_DECOMP=1" "streamk:W4A16_X_DECOMP=3" "splitk2:W4A16_X_DECOMP=2 W4A16_X_SPLITS=2" "splitk3:W4A16_X_DECOMP=2 W4A16_X_SPLITS=3" "splitk4:W4A16_X_DECOMP=2 W4A16_X_SPLITS=4"; do
  name=${v%%:*}; envs=${v#*:}
  for shape in "3584 18944 qwen2.5-7b/down" "5120 27648 custom/n5120_k27648" "27648 5120 custom/n27648_k5120"; do
    set -- $shape
    echo "\$ env $envs W4A16_X_VERBOSE=1 w4a16SM90Bench --n $1 --k $2 --m 128,256 --label $3 --tactics $T --settle-ms 1000 --budget-ms 10" >> $O/$name.cmd
    timeout 100 env $envs W4A16_X_VERBOSE=1 $B --n $1 --k $2 --m 128,256 --label $3 --tactics $T --settle-ms 1000 --budget-ms 10 >> $O/$name.jsonl 2>> $O/$name.log; echo "$name $3 exit $?"
  done
done
for f in $O/*.jsonl; do n=$(basename $f .jsonl); grep '"tactic"' $f | grep '"ok"' | $PY -c "
import sys, json
for l in sys.stdin:
    r = json.loads(l); print('$n'.ljust(10), r['label'].ljust(20), r['m'], r['tactic'][4:12], r['median_us'])"; done
