#!/usr/bin/env bash
# Start a throwaway Kubernetes control plane on loopback (etcd, kube-apiserver,
# and kube-controller-manager running only its garbage collector and HPA
# controller: no scheduler, no kubelet, no Deployment controller), run a command against it
# with KUBECONFIG set, then stop everything, whatever happened.
#
#   bash test/integration/run.sh                 # run the integration tests
#   bash test/integration/run.sh bash            # a shell with a live cluster
#   bash test/integration/run.sh run_tests test/integration/crd.itest.ts   # one file
#
# SIGTERM or SIGINT stops the command (its whole process group, SIGKILL after
# 10 s) and then the cluster, as at any other end (test/lib/run-tests.sh).
#
# Env:
#   KUBE_VERSION        Kubernetes release (see kube-binaries.sh)
#   KEEP_CLUSTER_LOGS   folder to copy the servers' logs into at the end
#                       (always done on failure, into .cache/logs)
# What the command sees:
#   KUBECONFIG          admin kubeconfig (token in group system:masters)
#   KUBECTL             path of the kubectl of the same release
#   PATH                starts with that kubectl's folder
#   KUBE_API_SERVER     https://127.0.0.1:<port>
#   HELM                helm of the release pinned in test/e2e/versions.sh (helm-binary.sh)
#   PROMTOOL            Debian's promtool (test/lib/ensure-prometheus.sh installs it)
#   MONITORING_CRDS     folder of the ServiceMonitor and PrometheusRule CRDs (monitoring-crds.sh)
# Installed besides what the tests install: the HTTPRoute, VirtualService and
# DestinationRule CRDs of the releases in test/e2e/versions.sh (route-crds.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

log() { echo "[integration] $*" >&2; }
# run_tests, run_command, stop_command
# shellcheck source=../lib/run-tests.sh
source "$repo/test/lib/run-tests.sh"

# --- binaries ---------------------------------------------------------------
bin_dir="$(bash "$here/kube-binaries.sh" | tail -n 1)"
kube_apiserver="$bin_dir/kube-apiserver"
kubectl="$bin_dir/kubectl"
kube_controller_manager="$bin_dir/kube-controller-manager"
# The routers' real CRDs (HTTPRoute, VirtualService, DestinationRule), installed below.
route_crds="$(bash "$here/route-crds.sh" | tail -n 1)"
# The chart's tests: helm from its Go module, promtool from Debian.
helm_bin="$(bash "$here/helm-binary.sh" | tail -n 1)"
prometheus_dir="$(bash "$repo/test/lib/ensure-prometheus.sh" | tail -n 1)"
monitoring_crds="$(bash "$here/monitoring-crds.sh" | tail -n 1)"

if ! command -v etcd >/dev/null; then
  log "etcd is missing: installing Debian's etcd-server"
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
fi
etcd_bin="$(command -v etcd)"
for tool in openssl curl setsid; do
  command -v "$tool" >/dev/null || {
    log "$tool is required"
    exit 1
  }
done

# --- state and cleanup ------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/canary-itest.XXXXXX")"
pids=()
status=0

stop_all() {
  status=$?
  local i j pid
  stop_command
  # Newest first (controller-manager, apiserver, etcd). Each runs in its own process
  # group (setsid): signal the whole group, give it a few seconds to shut
  # down, then kill what is left. The data is throwaway: nothing to save.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[i]}"
    kill -TERM -- "-$pid" 2>/dev/null || true
    for ((j = 0; j < 50; j++)); do
      # A process that exited stays a zombie until waited for; that is gone too.
      [[ $(ps -o stat= -p "$pid" 2>/dev/null) == Z* || -z $(ps -o pid= -p "$pid" 2>/dev/null) ]] && break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  local keep="${KEEP_CLUSTER_LOGS:-}"
  if [[ $status -ne 0 && -z $keep ]]; then
    keep="$here/.cache/logs"
  fi
  if [[ -n $keep ]]; then
    mkdir -p "$keep"
    cp "$tmp"/*.log "$keep"/ 2>/dev/null || true
    log "server logs kept in $keep"
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap stop_all EXIT
# The command runs in a process group of its own (run_command): stop it
# first, then stop_all tears the cluster down.
trap 'stop_command; exit 130' INT
trap 'stop_command; exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start_bg() {
  # start_bg <logfile> <cmd...>: a new session, so its group can be killed.
  local logfile="$1"
  shift
  setsid "$@" >"$logfile" 2>&1 </dev/null &
  pids+=("$!")
}

wait_for() {
  # wait_for <what> <seconds> <pid> <cmd...>
  local what="$1" secs="$2" pid="$3"
  shift 3
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$what exited before it was ready; last lines of its log:"
      tail -n 40 "$tmp/$what.log" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      log "$what not ready after ${secs}s; last lines of its log:"
      tail -n 40 "$tmp/$what.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

# --- etcd -------------------------------------------------------------------
etcd_port="$(free_port)"
etcd_peer_port="$(free_port)"
# Debian's package reads ETCD_* from the environment; keep ours out of it.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(ETCD_[A-Z0-9_]*\)=.*/\1/p')
start_bg "$tmp/etcd.log" "$etcd_bin" \
  --name itest \
  --data-dir "$tmp/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "itest=http://127.0.0.1:$etcd_peer_port" \
  --quota-backend-bytes $((512 * 1024 * 1024)) \
  --unsafe-no-fsync
etcd_pid="${pids[-1]}"
wait_for etcd 60 "$etcd_pid" curl -fsS "http://127.0.0.1:$etcd_port/health"
log "etcd $("$etcd_bin" --version | sed -n 's/^etcd Version: //p') on 127.0.0.1:$etcd_port"

# --- certificates and credentials --------------------------------------------
pki="$tmp/pki"
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=canary-itest-ca" \
    -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout apiserver.key -out apiserver.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
token="$(openssl rand -hex 24)"
printf '%s,canary-itest-admin,canary-itest-admin,"system:masters"\n' "$token" >"$pki/tokens.csv"

# --- kube-apiserver -----------------------------------------------------------
api_port="$(free_port)"
server="https://127.0.0.1:$api_port"
# No controller-manager runs, so nothing creates the default ServiceAccount of
# a namespace: the ServiceAccount admission plugin would refuse every Pod.
start_bg "$tmp/kube-apiserver.log" "$kube_apiserver" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$api_port" \
  --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --etcd-servers="http://127.0.0.1:$etcd_port" \
  --token-auth-file="$pki/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --api-audiences=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.96.0.0/16 \
  --disable-admission-plugins=ServiceAccount \
  --enable-priority-and-fairness=false \
  --endpoint-reconciler-type=none \
  --profiling=false \
  --v=1
api_pid="${pids[-1]}"

export KUBECONFIG="$tmp/kubeconfig"
"$kubectl" config set-cluster itest --server="$server" \
  --certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
"$kubectl" config set-credentials itest-admin --token="$token" >/dev/null
"$kubectl" config set-context itest --cluster=itest --user=itest-admin --namespace=default >/dev/null
"$kubectl" config use-context itest >/dev/null

wait_for kube-apiserver 180 "$api_pid" "$kubectl" get --raw=/readyz
# /readyz is green before the built-in namespaces and RBAC roles exist.
wait_for kube-apiserver 60 "$api_pid" "$kubectl" get namespace default
log "kube-apiserver $("$kube_apiserver" --version | awk '{print $2}') on $server"

# The traffic-routing tests patch real HTTPRoutes and VirtualServices, so
# their CRDs are part of the cluster, as they would be where a Canary uses
# them. Server-side: they are too big for client-side apply's annotation.
"$kubectl" apply --server-side --field-manager=canary-itest -f "$route_crds" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s crd/httproutes.gateway.networking.k8s.io \
  crd/virtualservices.networking.istio.io crd/destinationrules.networking.istio.io >/dev/null
log "route CRDs from $(basename "$route_crds")"

# --- kube-controller-manager: the garbage collector and the HPA controller ------
# The garbage collector makes "deleting a Canary leaves its Deployments" a real
# test: whatever still carries the Canary's ownerReference is deleted with it,
# as on a real cluster. The HPA controller scales Canaries through their scale
# subresource (scale.itest.ts); it acts only on HorizontalPodAutoscalers, which
# only that test creates, and with no metrics server it can only read scales
# and enforce min/max. Every 2 s instead of 15, so its tests take seconds.
# No other controller runs: the tests play the Deployment controller and the
# kubelet by writing status themselves, so nothing races them.
start_bg "$tmp/kube-controller-manager.log" "$kube_controller_manager" \
  --kubeconfig="$KUBECONFIG" \
  --controllers=garbage-collector-controller,horizontal-pod-autoscaler-controller \
  --horizontal-pod-autoscaler-sync-period=2s \
  --leader-elect=false \
  --secure-port=0 \
  --v=1
kcm_pid="${pids[-1]}"
sleep 1
kill -0 "$kcm_pid" 2>/dev/null || {
  log "kube-controller-manager exited; last lines of its log:"
  tail -n 40 "$tmp/kube-controller-manager.log" >&2
  exit 1
}

export KUBECTL="$kubectl" KUBE_API_SERVER="$server" HELM="$helm_bin" PROMTOOL="$prometheus_dir/promtool"
export MONITORING_CRDS="$monitoring_crds"
export PATH="$bin_dir:$PATH"

# --- the command ----------------------------------------------------------------
cd "$repo"

RUN_TESTS_LABEL=integration RUN_TESTS_OUT="$tmp" RUN_TESTS_TIMEOUT=600
RUN_TESTS_LOADER="$repo/node_modules/@tapjs/typescript/dist/esm/import.mjs"

if [[ $# -eq 0 ]]; then
  shopt -s nullglob
  tests=(test/integration/*.itest.ts)
  ((${#tests[@]} > 0)) || {
    log "no test/integration/*.itest.ts found"
    exit 1
  }
  set -- run_tests "${tests[@]}"
fi
log "running: $*"
set +e
run_command "$@"
rc=$?
set -e
exit "$rc"
