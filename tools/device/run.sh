#!/bin/bash
# Device-machine entry point of the bench (see tools/device/README.md).
#   bash tools/device/run.sh [run_bench.py options...]
# Needs the carried folders .gl (Vulkan loader debs), .whl (iree-base-runtime
# cp312 wheel) and .devbundle (tools/device/pack.py). Results go to $OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
site=$(mktemp -d /tmp/smartmem-site.XXXXXX)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
ln -s "$PWD/python" "$site/smartmem"
export PYTHONPATH="$site" PYTHONUNBUFFERED=1
export SMARTMEM_IREE_TOOLS="$site/iree/_runtime_libs"
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv || true
"$SMARTMEM_IREE_TOOLS/iree-run-module" --list_devices
out="${OUT:-/tmp/smartmem-device-out}"
mkdir -p "$out"
python3 tools/device/run_bench.py --bundle .devbundle --out "$out" "$@" 2>&1 | tee "$out/run.log"
