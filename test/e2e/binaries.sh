#!/usr/bin/env bash
# Make sure etcd, KWOK and Metacontroller of the releases pinned in
# versions.sh are on disk, building each from source when no cache has it,
# and print the folder that holds all three (last line of stdout).
# The Kubernetes binaries come from test/integration/kube-binaries.sh.
#
# Why build: the machines reach only package registries. etcd 3.6 and KWOK
# are Go modules on the proxy; Metacontroller's module path (`metacontroller`)
# is not one the proxy can serve, so it is built from the source archive in
# ../shared/metacontroller/ (its dependencies come from the proxy as usual).
#
# Caches, per binary and release, looked up in this order (the first copy
# that runs is reused):
#   $CANARY_KUBE_CACHE/<name>-<version>    (default: test/integration/.cache,
#                                          git-, eslint- and prettier-ignored)
#   $XDG_CACHE_HOME/canary-hooks/<name>-<version>   (default: ~/.cache)
# CI runs in a fresh clone, so the machine cache is what spares it the builds.
#
# Env:
#   METACONTROLLER_BIN   a Metacontroller binary of your own (v4.17 or newer):
#                        used as it is, nothing built. Without the archive, get
#                        one from Metacontroller's release image or build their
#                        repository at the tag (see test/e2e/README.md).
#   CANARY_SHARED_DIR    where shared/ is (default: <repo>/../shared)
#   E2E_*_VERSION        see versions.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.sh
source "$here/versions.sh"

repo_cache="${CANARY_KUBE_CACHE:-$repo/test/integration/.cache}"
machine_cache="${XDG_CACHE_HOME:-$HOME/.cache}/canary-hooks"
shared="${CANARY_SHARED_DIR:-$repo/../shared}"
out="$repo_cache/e2e-bin"

log() { echo "[e2e-binaries] $*" >&2; }
die() {
  log "$*"
  exit 1
}

# A binary cut short by an interrupted copy would not run: check it does.
runs() {
  local bin="$1"
  [[ -x $bin ]] || return 1
  case "$(basename "$bin")" in
    etcd) "$bin" --version >/dev/null 2>&1 ;;
    kwok) "$bin" --version >/dev/null 2>&1 ;;
    # Go's flag package exits 0 on -help, and prints nothing to stdout.
    metacontroller) "$bin" -help >/dev/null 2>&1 ;;
  esac
}

# Copy under a temporary name, then rename: readers never see half a file.
copy_atomic() {
  local from="$1" to_dir="$2"
  mkdir -p "$to_dir"
  cp "$from" "$to_dir/.$(basename "$from").tmp.$$"
  mv -f "$to_dir/.$(basename "$from").tmp.$$" "$to_dir/$(basename "$from")"
}

link_atomic() {
  local target="$1" link="$2"
  ln -sfn "$target" "$link.tmp.$$"
  mv -Tf "$link.tmp.$$" "$link"
}

go_env() {
  command -v go >/dev/null || die "go is not installed; it is needed to build $1"
  # -mod=mod: a throwaway module resolves its requirements as it goes;
  # GOTOOLCHAIN=local: never download another Go (only the proxy is reachable
  # and a toolchain is not a module we want); CGO off: static, no C compiler.
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
}

# build_from_proxy <module@version> <package> <binary name> <out dir> [ldflags]
build_from_proxy() {
  local modver="$1" pkg="$2" name="$3" dest="$4" ldflags="${5:-}"
  go_env "$name"
  local work started=$SECONDS
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-e2e-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  log "building $name from $modver in $work (Go $(go env GOVERSION))"
  # The dependency's own go.mod may carry replace directives (etcd's point at
  # its sibling folders); a module that only requires it ignores them and
  # takes the published releases they stand for.
  (
    cd "$work"
    go mod init canary-hooks.local/e2e-build >/dev/null 2>&1
    go get "$modver" >&2
    go build -trimpath -ldflags "-s -w $ldflags" -o "$work/$name" "$pkg"
  ) || die "building $name from $modver failed (see above)"
  copy_atomic "$work/$name" "$dest"
  log "built $name in $((SECONDS - started))s"
}

build_etcd() {
  build_from_proxy "go.etcd.io/etcd/server/v3@$E2E_ETCD_VERSION" go.etcd.io/etcd/server/v3 etcd "$1"
}

build_kwok() {
  build_from_proxy "sigs.k8s.io/kwok@$E2E_KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok kwok "$1"
}

build_metacontroller() {
  local dest="$1"
  local archive="$shared/metacontroller/metacontroller-$E2E_METACONTROLLER_VERSION-src.tar.gz"
  [[ -f $archive ]] || die "Metacontroller source archive not found: $archive.
  Set CANARY_SHARED_DIR to the folder that holds metacontroller/, or set
  METACONTROLLER_BIN to a Metacontroller binary (see test/e2e/README.md)."
  go_env metacontroller
  local work started=$SECONDS
  work="$(mktemp -d "${TMPDIR:-/tmp}/canary-e2e-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  log "building metacontroller $E2E_METACONTROLLER_VERSION from $archive in $work (Go $(go env GOVERSION))"
  tar xzf "$archive" -C "$work"
  local src="$work/metacontroller-$E2E_METACONTROLLER_VERSION"
  [[ -f $src/go.mod ]] || die "$archive has no metacontroller-$E2E_METACONTROLLER_VERSION/go.mod"
  (
    cd "$src"
    go build -trimpath -ldflags "-s -w -X main.version=$E2E_METACONTROLLER_VERSION" \
      -o "$work/metacontroller" ./pkg/cmd/metacontroller
  ) || die "building metacontroller failed (see above)"
  copy_atomic "$work/metacontroller" "$dest"
  log "built metacontroller in $((SECONDS - started))s"
}

# ensure <name> <version>: the folder of a binary that runs, built if need be.
ensure() {
  local name="$1" version="$2"
  local in_repo="$repo_cache/$name-$version" on_machine="$machine_cache/$name-$version"
  if runs "$in_repo/$name"; then
    :
  elif runs "$on_machine/$name"; then
    copy_atomic "$on_machine/$name" "$in_repo"
  else
    "build_$name" "$in_repo"
    copy_atomic "$in_repo/$name" "$on_machine" || log "could not fill the machine cache $on_machine"
  fi
  runs "$in_repo/$name" || die "$in_repo/$name does not run"
  link_atomic "$in_repo/$name" "$out/$name"
}

mkdir -p "$out"
ensure etcd "$E2E_ETCD_VERSION"
ensure kwok "$E2E_KWOK_VERSION"
if [[ -n ${METACONTROLLER_BIN:-} ]]; then
  bin="$(command -v "$METACONTROLLER_BIN" || true)"
  [[ -n $bin ]] && runs_as="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" || runs_as=""
  [[ -n $runs_as && -x $runs_as ]] || die "METACONTROLLER_BIN=$METACONTROLLER_BIN is not an executable file"
  "$runs_as" -help >/dev/null 2>&1 || die "METACONTROLLER_BIN=$METACONTROLLER_BIN does not run (-help failed)"
  link_atomic "$runs_as" "$out/metacontroller"
  log "using METACONTROLLER_BIN=$runs_as"
else
  ensure metacontroller "$E2E_METACONTROLLER_VERSION"
fi
echo "$out"
