#!/usr/bin/env bash
# Install SmartMem into .venv on a fresh Debian machine, then run a job:
#   bash tools/bootstrap.sh main   # the main job on the embedded default model
#   bash tools/bootstrap.sh test   # the whole test suite (lit + pytest)
set -euo pipefail
cd "$(dirname "$0")/.."
job="${1:-main}"

# System packages: Mesa's lavapipe (a CPU Vulkan driver) so `--device=vulkan`
# works everywhere; python3-venv where Debian's Python lacks ensurepip.
python=$(command -v python3.11 || command -v python3)
missing=()
dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers)
"$python" -c "import ensurepip, venv" >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing system packages: ${missing[*]} (install them as root with apt-get)" >&2
  fi
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

case "$job" in
  main) exec .venv/bin/python -m smartmem.tools.main_job ;;
  test)
    # Run both suites even if the first fails; fail if either did.
    status=0
    .venv/bin/lit -v test || status=1
    .venv/bin/pytest -q test/python || status=1
    exit $status ;;
  *) echo "bootstrap: unknown job '$job' (main or test)" >&2; exit 2 ;;
esac
