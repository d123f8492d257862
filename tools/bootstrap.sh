#!/usr/bin/env bash
# Install SmartMem into .venv on a fresh Debian machine, then run a job:
#   bash tools/bootstrap.sh main   # the main job on the embedded default model
#   bash tools/bootstrap.sh test   # the whole test suite (lit + pytest)
set -euo pipefail
cd "$(dirname "$0")/.."
job="${1:-main}"

# Vulkan everywhere: Mesa's lavapipe is a CPU Vulkan driver.
if ! dpkg -s mesa-vulkan-drivers >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mesa-vulkan-drivers >/dev/null
  else
    echo "bootstrap: mesa-vulkan-drivers is missing; install it as root (apt-get install -y mesa-vulkan-drivers)" >&2
  fi
fi

python=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

case "$job" in
  main) exec .venv/bin/python -m smartmem.tools.main_job ;;
  test)
    .venv/bin/lit -v test
    exec .venv/bin/pytest -q test/python ;;
  *) echo "bootstrap: unknown job '$job' (main or test)" >&2; exit 2 ;;
esac
