# Sourced by the device-machine scripts: unpacks the Vulkan loader (.gl),
# installs the runtime wheel (.whl) into a temporary folder, points the
# loader at the NVIDIA driver and sets `tools` to IREE's runtime tools.
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
site=$(mktemp -d /tmp/smartmem-site.XXXXXX)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
tools="$site/iree/_runtime_libs"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
