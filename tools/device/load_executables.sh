#!/bin/bash
# Device-machine check: load and run once every DIR/*.vmfb that
# tools/device/executables.py compiled (one executable each), and print the
# ones the driver rejects.
#   bash tools/device/load_executables.sh DIR
# Carry .gl, .whl and DIR.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$1
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
site=$(mktemp -d /tmp/smartmem-site.XXXXXX)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
tools="$site/iree/_runtime_libs"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
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
