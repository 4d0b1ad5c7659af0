#!/bin/bash
# Which plain bandwidth kernel moves a decode GEMM's bytes fastest: variants/stream_variants.cu (built on the CPU
# machine with the command at its top, carried) on the byte counts of Llama-3-8B o and gate_up, Llama-2-70B qkv and
# gate_up at M = 1, and 512 MiB.
set -o pipefail; O=$OUT/r; mkdir -p $O; C=$PWD/.carry30
nvidia-smi --query-gpu=name,pci.bus_id,driver_version,power.limit --format=csv > $O/env.txt
sha256sum $C/sv/stream_variants > $O/sha256.txt
echo "\$ stream_variants 8667136 30314496 43290624 121184256 536870912" > $O/variants.jsonl.cmd
timeout 200 $C/sv/stream_variants 8667136 30314496 43290624 121184256 536870912 > $O/variants.jsonl 2> $O/variants.err; echo "exit $?"
python3 -c "
import json
for l in open('$O/variants.jsonl'):
    r=json.loads(l)
    if 'variant' in r: print(r['bytes'], r['variant'].ljust(28), r['grid'], r['sum_ok'], r['median_us'], r['tb_per_s'])
"
