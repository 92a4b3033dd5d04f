#!/usr/bin/env bash
# Make sure the real CRDs of the two routers are on disk and print the folder
# that holds them (last line of stdout), one file per CRD:
#   httproutes.gateway.networking.k8s.io.yaml       from sigs.k8s.io/gateway-api
#     (config/crd/standard/gateway.networking.k8s.io_httproutes.yaml)
#   virtualservices.networking.istio.io.yaml        from istio.io/api
#   destinationrules.networking.istio.io.yaml         (kubernetes/customresourcedefinitions.gen.yaml,
#                                                    which holds every Istio CRD: only these two
#                                                    are kept, the routes and the subsets they name)
# at the releases pinned in test/e2e/versions.sh. Both are Go modules, so they
# come from the Go module proxy (`go mod download -json` prints where their
# files are), the one registry these machines reach for such things.
#
# Caches, looked up in this order (the first complete copy is reused):
#   $CANARY_KUBE_CACHE/route-crds-<gw>-<istio>    (default: test/integration/.cache)
#   $XDG_CACHE_HOME/canary-hooks/route-crds-<gw>-<istio>   (default: ~/.cache)
#
# Env: E2E_GATEWAY_API_VERSION, E2E_ISTIO_API_VERSION (see versions.sh)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../e2e/versions.sh
source "$here/../e2e/versions.sh"

name="route-crds-$E2E_GATEWAY_API_VERSION-$E2E_ISTIO_API_VERSION"
repo_cache="${CANARY_KUBE_CACHE:-$here/.cache}/$name"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/canary-hooks/$name"
files=(httproutes.gateway.networking.k8s.io.yaml virtualservices.networking.istio.io.yaml
  destinationrules.networking.istio.io.yaml)

log() { echo "[route-crds] $*" >&2; }
die() {
  log "$*"
  exit 1
}

# A file cut short by an interrupted copy would not name its CRD at the end
# of its metadata: check each holds exactly one CRD of the right name.
complete() {
  local dir="$1" f
  for f in "${files[@]}"; do
    [[ -s $dir/$f ]] || return 1
    [[ $(grep -c '^kind: CustomResourceDefinition$' "$dir/$f") == 1 ]] || return 1
    grep -q "^  name: ${f%.yaml}$" "$dir/$f" || return 1
    tail -n 1 "$dir/$f" | grep -q 'status: {}' || return 1
  done
}

# Copy under temporary names, then rename: readers never see half a file.
copy_all() {
  local from="$1" to="$2" f
  mkdir -p "$to"
  for f in "${files[@]}"; do
    cp "$from/$f" "$to/.$f.tmp.$$"
    mv -f "$to/.$f.tmp.$$" "$to/$f"
  done
}

# module_dir <module@version>: the folder of the module's files in Go's cache.
module_dir() {
  command -v go >/dev/null || die "go is not installed; it is needed to fetch $1"
  local work dir
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-route-crds.XXXXXX")"
  # -mod=mod and GOTOOLCHAIN=local as binaries.sh: a throwaway module, never
  # another Go toolchain.
  dir="$(cd "$work" && GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off go mod download -json "$1" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  rm -rf "$work"
  [[ -d $dir ]] || die "could not download $1 from the Go module proxy"
  echo "$dir"
}

# crd_document <multi-document file> <crd name>: that one CRD, without the
# `---` lines around it.
crd_document() {
  awk -v want="  name: $2" '
    /^---$/ { if (keep) { printf "%s", doc }; doc = ""; keep = 0; next }
    { doc = doc $0 "\n"; if ($0 == want) keep = 1 }
    END { if (keep) printf "%s", doc }
  ' "$1"
}

fetch() {
  local out="$1" gw istio
  gw="$(module_dir "sigs.k8s.io/gateway-api@$E2E_GATEWAY_API_VERSION")"
  istio="$(module_dir "istio.io/api@$E2E_ISTIO_API_VERSION")"
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-route-crds.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  cp "$gw/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml" \
    "$work/httproutes.gateway.networking.k8s.io.yaml"
  # Go's module cache is read-only; the copies need not be.
  chmod u+w "$work/httproutes.gateway.networking.k8s.io.yaml"
  local crd
  for crd in virtualservices.networking.istio.io destinationrules.networking.istio.io; do
    crd_document "$istio/kubernetes/customresourcedefinitions.gen.yaml" "$crd" >"$work/$crd.yaml"
  done
  complete "$work" || die "the CRDs from gateway-api@$E2E_GATEWAY_API_VERSION and istio.io/api@$E2E_ISTIO_API_VERSION are not what was expected (see $work)"
  copy_all "$work" "$out"
  log "fetched HTTPRoute ($E2E_GATEWAY_API_VERSION), VirtualService and DestinationRule ($E2E_ISTIO_API_VERSION)"
}

if complete "$repo_cache"; then
  :
elif complete "$machine_cache"; then
  copy_all "$machine_cache" "$repo_cache"
else
  fetch "$repo_cache"
  copy_all "$repo_cache" "$machine_cache" || log "could not fill the machine cache $machine_cache"
fi
echo "$repo_cache"
