#!/usr/bin/env bash
# measure_build.sh OUTDIR CMD...: run CMD with GNU time, sampling system memory every second.
set -u
outd=$1; shift
mkdir -p "$outd"
(while true; do
   printf '%s %s %s\n' "$(date +%s)" "$(free -b | awk '/Mem:/{print $3}')" \
     "$(ps -eo rss=,comm= | awk '$2 ~ /cicc|ptxas|cudafe|cc1plus|nvcc|gcc/ {s+=$1} END{print s*1024}')"
   sleep 1
 done) > "$outd/memory.log" &
sampler=$!
start=$(date +%s.%N)
/usr/bin/time -v "$@" > "$outd/build.log" 2> "$outd/time.log"
rc=$?
end=$(date +%s.%N)
kill "$sampler"
echo "rc=$rc wall_s=$(python3 -c "print(round($end - $start, 1))")" > "$outd/result.txt"
awk 'BEGIN{m=0;c=0} {if($2>m)m=$2; if($3>c)c=$3} END{printf "peak_used_gb=%.1f peak_compiler_rss_gb=%.1f\n", m/1e9, c/1e9}' "$outd/memory.log" >> "$outd/result.txt"
cat "$outd/result.txt"
