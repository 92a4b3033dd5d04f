#!/usr/bin/env bash
# Make sure kube-apiserver, kube-controller-manager (run with its garbage
# collector only) and kubectl of one pinned Kubernetes release are
# on disk, building them from the Go module k8s.io/kubernetes when no cache
# has them, and print the folder that holds them (last line of stdout).
#
# Why build: the machines reach only package registries. Debian has no
# kube-apiserver and its kubectl is 1.20, far outside kubectl's +-1 minor
# skew, so both come from the Go module proxy, in a throwaway module that
# replaces each k8s.io/* staging module with its published v0.x.y release.
#
# Caches, looked up in this order (the first copy found is reused):
#   $CANARY_KUBE_CACHE                     (default: test/integration/.cache)
#   $XDG_CACHE_HOME/canary-hooks           (default: ~/.cache/canary-hooks)
# CI runs in a fresh clone, so the machine-level cache is what spares it the
# build; Go's own module and build caches in $HOME help a rebuild too.
#
# Env:
#   KUBE_VERSION      release to build (default below); v1.x.y
#   KUBE_BUILD_JOBS   go build -p (default: number of cores)
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_cache="${CANARY_KUBE_CACHE:-$here/.cache}/kube-$KUBE_VERSION"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/canary-hooks/kube-$KUBE_VERSION"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

log() { echo "[kube-binaries] $*" >&2; }

have_all() {
  local dir="$1" b
  for b in "${bins[@]}"; do
    [[ -x "$dir/$b" ]] || return 1
  done
  # A binary cut short by an interrupted copy would not run: check it does.
  "$dir/kubectl" version --client >/dev/null 2>&1 || return 1
  "$dir/kube-apiserver" --version >/dev/null 2>&1 || return 1
  "$dir/kube-controller-manager" --version >/dev/null 2>&1 || return 1
  "$dir/kube-scheduler" --version >/dev/null 2>&1 || return 1
}

copy_all() {
  local from="$1" to="$2" b
  mkdir -p "$to"
  for b in "${bins[@]}"; do
    # Copy under a temporary name, then rename: readers never see half a file.
    cp "$from/$b" "$to/.$b.tmp.$$"
    mv -f "$to/.$b.tmp.$$" "$to/$b"
  done
}

build() {
  local out="$1"
  command -v go >/dev/null || {
    log "go is not installed; it is needed to build kube-apiserver"
    exit 1
  }
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-kube-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  local started=$SECONDS
  local minor="${KUBE_VERSION#v1.}"
  minor="${minor%%.*}"
  local staging_version="v0.${KUBE_VERSION#v1.}"

  log "building kube-apiserver, kube-controller-manager and kubectl $KUBE_VERSION in $work (Go $(go env GOVERSION))"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
  export GOMAXPROCS="${GOMAXPROCS:-$(nproc)}"

  # k8s.io/kubernetes's own go.mod names its staging modules in a replace
  # block pointing at ./staging; replace blocks of dependencies are ignored,
  # so this module repeats each with the published release.
  local gomod
  gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -f "$gomod" ]] || {
    log "could not download k8s.io/kubernetes@$KUBE_VERSION"
    exit 1
  }
  local go_directive
  go_directive="$(awk '$1 == "go" { print $2; exit }' "$gomod")"
  {
    echo "module canary-hooks.local/kube-build"
    echo
    echo "go $go_directive"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    awk -v v="$staging_version" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' "$gomod"
    echo ")"
  } >"$work/go.mod"
  # A file that imports the commands keeps `go mod tidy` from dropping them.
  cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  (cd "$work" && go mod tidy)
  log "modules ready after $((SECONDS - started))s"

  local v=k8s.io/component-base/version cv=k8s.io/client-go/pkg/version
  local ldflags="-s -w"
  local pkg
  for pkg in "$v" "$cv"; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$work/bin"
  (cd "$work" && go build -p "${KUBE_BUILD_JOBS:-$(nproc)}" -trimpath -ldflags "$ldflags" \
    -o "$work/bin/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  copy_all "$work/bin" "$out"
  log "built in $((SECONDS - started))s into $out"
}

if have_all "$repo_cache"; then
  :
elif have_all "$machine_cache"; then
  copy_all "$machine_cache" "$repo_cache"
else
  build "$repo_cache"
  copy_all "$repo_cache" "$machine_cache" || log "could not fill the machine cache $machine_cache"
fi
have_all "$repo_cache" || {
  log "binaries in $repo_cache do not run"
  exit 1
}
echo "$repo_cache"
