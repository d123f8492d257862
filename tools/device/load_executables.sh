#!/bin/bash
# Device-machine check: load and run once every DIR/*.vmfb that
# tools/device/executables.py compiled (one executable each), and print the
# ones the driver rejects.
#   bash tools/device/load_executables.sh DIR
# Carry .gl, .whl and DIR.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$1
source tools/device/setup.sh
loaded=0
failed=0
for module in "$dir"/*.vmfb; do
  output=$("$tools/iree-benchmark-module" --device=vulkan --module="$module" \
           --benchmark_min_time=1x --benchmark_repetitions=1 2>&1)
  status=$?
  if [ "$status" -ne 0 ] || grep -qi "error" <<<"$output"; then
    echo "FAIL $(basename "$module" .vmfb): $(grep -i -m1 error <<<"$output" | cut -c1-300)"
    failed=$((failed + 1))
  else
    loaded=$((loaded + 1))
  fi
done
echo "loaded $loaded, failed $failed"
