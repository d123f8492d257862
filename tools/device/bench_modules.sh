#!/bin/bash
# Device-machine micro-benchmark: every DIR/*.vmfb with the flags in
# DIR/<name>.flags (function, inputs), interleaved over rounds.
#   bash tools/device/bench_modules.sh DIR [ROUNDS]
# Carry .gl, .whl and DIR. Prints one line per module and round.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$1
rounds=${2:-3}
source tools/device/setup.sh
for round in $(seq "$rounds"); do
  for module in "$dir"/*.vmfb; do
    name=$(basename "$module" .vmfb)
    ms=$("$tools/iree-benchmark-module" --device=vulkan --module="$module" \
         --flagfile="$dir/$name.flags" --benchmark_min_warmup_time=0.2 \
         --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>&1 \
         | awk '/_median/ {print $2, $3}')
    echo "round $round $name median $ms"
  done
done
# One profiled session per module: GPU time per dispatch (5 calls).
for module in "$dir"/*.vmfb; do
  name=$(basename "$module" .vmfb)
  prof=$(mktemp /tmp/prof.XXXXXX.ireeprof)
  "$tools/iree-benchmark-module" --device=vulkan --module="$module" \
      --flagfile="$dir/$name.flags" --benchmark_repetitions=1 --benchmark_min_time=5x \
      --device_profiling_mode=dispatch-events --device_profiling_output="$prof" >/dev/null 2>&1
  echo "profile $name (ns per call over 5 calls)"
  "$tools/iree-profile" dispatch --format=jsonl "$prof" | python3 tools/device/profile_summary.py 5
done
