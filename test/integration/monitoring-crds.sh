#!/usr/bin/env bash
# Make sure the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs
# of the release pinned in test/e2e/versions.sh are on disk and print the
# folder that holds them (last line of stdout). They come from the Go module
# github.com/prometheus-operator/prometheus-operator
# (example/prometheus-operator-crd/), the one registry these machines reach
# for such things, as route-crds.sh gets the routers' CRDs.
#
# Caches, looked up in this order (the first complete copy is reused):
#   $CANARY_KUBE_CACHE/monitoring-crds-<version>    (default: test/integration/.cache)
#   $XDG_CACHE_HOME/canary-hooks/monitoring-crds-<version>   (default: ~/.cache)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../e2e/versions.sh
source "$here/../e2e/versions.sh"

name="monitoring-crds-$PROMETHEUS_OPERATOR_VERSION"
repo_cache="${CANARY_KUBE_CACHE:-$here/.cache}/$name"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/canary-hooks/$name"
files=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml)

log() { echo "[monitoring-crds] $*" >&2; }
die() {
  log "$*"
  exit 1
}

# A file cut short by an interrupted copy would not end its schema: check each
# is one CRD of the right name.
complete() {
  local f crd
  for f in "${files[@]}"; do
    crd="${f#monitoring.coreos.com_}"
    crd="${crd%.yaml}.monitoring.coreos.com"
    [[ -s $1/$f ]] || return 1
    [[ $(grep -c '^kind: CustomResourceDefinition$' "$1/$f") == 1 ]] || return 1
    grep -q "^  name: $crd$" "$1/$f" || return 1
    grep -q '^    served: true$' "$1/$f" || return 1
  done
}

copy_all() {
  local from="$1" to="$2" f
  mkdir -p "$to"
  for f in "${files[@]}"; do
    cp "$from/$f" "$to/.$f.tmp.$$"
    mv -f "$to/.$f.tmp.$$" "$to/$f"
  done
}

if complete "$repo_cache"; then
  :
elif complete "$machine_cache"; then
  copy_all "$machine_cache" "$repo_cache"
else
  command -v go >/dev/null || die "go is not installed; it is needed to fetch the Prometheus Operator's CRDs"
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-monitoring-crds.XXXXXX")"
  module="github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION"
  dir="$(cd "$work" && GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off go mod download -json "$module" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  rm -rf "$work"
  [[ -d $dir ]] || die "could not download $module from the Go module proxy"
  copy_all "$dir/example/prometheus-operator-crd" "$repo_cache"
  copy_all "$repo_cache" "$machine_cache" || log "could not fill the machine cache $machine_cache"
fi
complete "$repo_cache" || die "$repo_cache does not hold both CRDs"
echo "$repo_cache"
