#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the dashboard's browser tests,
# as run.sh installs etcd: the browser comes from the distribution, never
# from a download of playwright's own (this workplace reaches only package
# registries). Prints the executable's path on its last line.
#
#   bash test/integration/ensure-chromium.sh
#
# Env: CHROMIUM   an executable to use instead (nothing is installed then)
set -euo pipefail

log() { echo "[chromium] $*" >&2; }

if [[ -n ${CHROMIUM:-} ]]; then
  [[ -x $CHROMIUM ]] || {
    log "CHROMIUM=$CHROMIUM is not executable"
    exit 1
  }
  echo "$CHROMIUM"
  exit 0
fi

bin=/usr/bin/chromium
if [[ ! -x $bin ]]; then
  log "chromium is missing: installing Debian's chromium"
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  # Another process may hold the dpkg lock for a while (apt on a fresh machine).
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 chromium fonts-dejavu-core >/dev/null
fi
"$bin" --version >&2
echo "$bin"
