#!/usr/bin/env bash
# Make sure Debian's `prometheus` package is installed (prometheus and
# promtool, the alert rules' tests and the dashboard's queries run on both)
# and print the folder that holds the two (last line of stdout).
#
# From Debian, not a release archive: the machines reach only package
# registries. Installed once, like etcd-server in test/integration/run.sh;
# the package's own service is not started (no init system runs here, and the
# tests start their own Prometheus on loopback).
set -euo pipefail

log() { echo "[prometheus] $*" >&2; }

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  log "prometheus or promtool is missing: installing Debian's prometheus"
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  # Another job on the machine may hold dpkg's lock for a while.
  apt_opts=(-o DPkg::Lock::Timeout=300)
  "${sudo[@]}" apt-get "${apt_opts[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends \
    prometheus >/dev/null
fi
promtool="$(command -v promtool)"
"$promtool" --version >/dev/null 2>&1 || {
  log "$promtool does not run"
  exit 1
}
dirname "$promtool"
