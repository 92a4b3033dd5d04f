#!/usr/bin/env bash
# Make sure the helm binary of the release pinned in test/e2e/versions.sh
# (HELM_VERSION) is on disk, building it from the Go module helm.sh/helm/v4
# when no cache has it, and print its path (last line of stdout).
#
# Why build: the machines reach only package registries, and Helm's releases
# are binaries on get.helm.sh; its source is a Go module on the proxy.
#
# Caches, looked up in this order (the first copy that runs is reused):
#   $CANARY_KUBE_CACHE/helm-<version>             (default: test/integration/.cache)
#   $XDG_CACHE_HOME/canary-hooks/helm-<version>   (default: ~/.cache)
# CI runs in a fresh clone, so the machine cache is what spares it the build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../e2e/versions.sh
source "$here/../e2e/versions.sh"

repo_cache="${CANARY_KUBE_CACHE:-$here/.cache}/helm-$HELM_VERSION"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/canary-hooks/helm-$HELM_VERSION"

log() { echo "[helm-binary] $*" >&2; }
die() {
  log "$*"
  exit 1
}

# A binary cut short by an interrupted copy would not run; one built at
# another release would say so.
runs() {
  [[ -x $1/helm ]] && "$1/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"
}

# Copy under a temporary name, then rename: readers never see half a file.
copy_to() {
  mkdir -p "$2"
  cp "$1/helm" "$2/.helm.tmp.$$"
  mv -f "$2/.helm.tmp.$$" "$2/helm"
}

build() {
  command -v go >/dev/null || die "go is not installed; it is needed to build helm"
  local work started=$SECONDS
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-helm-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  log "building helm $HELM_VERSION from helm.sh/helm/v4 in $work (Go $(go env GOVERSION))"
  # As binaries.sh: a throwaway module that requires Helm's, never another
  # Go toolchain, static.
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
  (
    cd "$work"
    go mod init canary-hooks.local/helm-build >/dev/null 2>&1
    go get "helm.sh/helm/v4@$HELM_VERSION" >&2
    # Helm's Makefile stamps the version the same way; without it
    # `helm version` says v4.x-dev and charts' kubeVersion checks misjudge it.
    go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
      -o "$work/helm" helm.sh/helm/v4/cmd/helm
  ) || die "building helm $HELM_VERSION failed (see above)"
  copy_to "$work" "$1"
  log "built helm in $((SECONDS - started))s"
}

if runs "$repo_cache"; then
  :
elif runs "$machine_cache"; then
  copy_to "$machine_cache" "$repo_cache"
else
  build "$repo_cache"
  copy_to "$repo_cache" "$machine_cache" || log "could not fill the machine cache $machine_cache"
fi
runs "$repo_cache" || die "$repo_cache/helm does not run or is not $HELM_VERSION"
echo "$repo_cache/helm"
