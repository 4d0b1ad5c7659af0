#!/bin/bash
# (a) Nsight Compute, full set with per-instruction (SASS) stall sampling, of the decode tiles of the
#     series 0002 to 0014 (the CPU-built slim binary of ../../ldmatrix_reads, 64x16 and 256x16 tiles):
#     256x16 on Llama-2-70B gate_up and down at M = 16, 64x16 ping-pong on Llama-3-8B o at M = 8.
# (b) Meanwhile a full-tree build of every fp16 scale-only tactic and the GEMV with the whole series, then
#     `w4a16 bench` on the 16 held-out weight shapes beside Machete and cuBLAS, M = 1 to 256.
set -o pipefail; export PYTHONUNBUFFERED=1; PY=/opt/torch/.venv/bin/python3; C=$PWD/.carry29; O=$OUT/r; mkdir -p $O
mkdir -p /tmp/src && for t in cache tree gtest; do tar xzf $C/$t.tgz -C /tmp/src; done
$PY -m pip install -q --no-index --no-deps --target /tmp/site $C/whl/*.whl 2>/dev/null
export PYTHONPATH=/tmp/site:$PWD/scripts TLLM_LOG_LEVEL=WARNING W4A16_CACHE=/tmp/src W4A16_TRTLLM_TREE=/tmp/src/trtllm-tree CCACHE_DISABLE=1; W="$PY -m w4a16"
run() { n=$1; shift; echo "\$ $*" > $O/$n.txt; s=$SECONDS; "$@" >> $O/$n.txt 2>&1; echo "exit $? after $((SECONDS - s)) s" | tee -a $O/$n.txt; }
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt; ncu --version > $O/ncu_version.txt
$PY -c "import lzma,sys; open('/tmp/l14bench','wb').write(lzma.open(sys.argv[1]).read())" $C/l14_bench.xz && chmod +x /tmp/l14bench
gunzip -c $C/machete/w4a16MacheteBench.gz > /tmp/machete && chmod +x /tmp/machete
G=/tmp/gf; run build timeout 330 $W build --no-run --offline --gtest-src /tmp/src/googletest --build-dir $G --jobs 14 --tiles all --activations fp16 --quant-ops scale_only --groups 128 &
prof() { name=$1; shift; run ncu_$name ncu --clock-control none -k regex:device_kernel -c 1 --set full --import-source no -f -o $O/$name /tmp/l14bench "$@" --min-samples 1 --max-samples 1 --budget-ms 0.1 --warmup 0 --max-launches 1
  ncu -i $O/$name.ncu-rep --page source --csv --print-source sass > $O/${name}_source.csv 2> $O/${name}_source.err || ncu -i $O/$name.ncu-rep --page source --csv > $O/${name}_source.csv 2>> $O/${name}_source.err
  ncu -i $O/$name.ncu-rep --page details --csv > $O/${name}_details.csv 2>&1; ncu -i $O/$name.ncu-rep --page raw --csv > $O/${name}_raw.csv 2>&1; }
prof gate_up_256x16_m16 --n 28672 --k 8192 --m 16 --tactics tile256x16x64_cluster1x1x1_coop
prof down_256x16_m16 --n 8192 --k 28672 --m 16 --tactics tile256x16x64_cluster1x1x1_coop
prof o8b_64x16_m8 --n 4096 --k 4096 --m 8 --tactics tile64x16x64_cluster1x1x1_pingpong
wait
cp $G/build_info.json $O/build_info.json; sha256sum /tmp/l14bench $G/w4a16SM90* /tmp/machete > $O/sha256.txt
S="--shape 5120,8192 --shape 8192,4096 --shape 14336,8192 --shape 8192,14336 --shape 2560,8192 --shape 8192,2048 --shape 7168,8192 --shape 8192,7168 --shape 7168,5120 --shape 5120,5120 --shape 27648,5120 --shape 5120,27648"
run bench_heldout timeout 200 $W bench --binary $G/w4a16SM90Bench --machete-binary /tmp/machete --out $O/heldout --models qwen2.5-7b $S --dtypes fp16 --m 1,2,4,8,16,32,64,128,256 --budget-ms 5 --no-int4pack --time-limit 170
head -c 600 $O/*_source.csv | head -20; tail -3 $O/build.txt; tail -4 $O/bench_heldout.txt; grep -h "^exit" $O/*.txt
cd $OUT && mkdir reps && mv r/*.ncu-rep reps/ && tar czf /tmp/reps.tgz reps && tar czf /tmp/r.tgz r && rm -rf r reps && mv /tmp/r.tgz /tmp/reps.tgz $OUT/; ls -la $OUT
