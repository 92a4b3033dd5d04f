#!/usr/bin/env bash
# Start a real control plane on loopback, with the real Metacontroller and
# canary-hooks on top, run a command against it, then stop everything,
# whatever happened.
#
#   bash test/e2e/run.sh                              # run test/e2e/*.e2e.ts
#   bash test/e2e/run.sh bash                         # a shell with the live cluster
#   bash test/e2e/run.sh run_tests test/e2e/walkthrough.e2e.ts   # one file
#
# SIGTERM or SIGINT stops the command (its whole process group, SIGKILL after
# 10 s) and then the cluster, as at any other end (test/lib/run-tests.sh).
#
# What runs, all on 127.0.0.1, each in its own process group:
#   etcd 3.6, kube-apiserver (RBAC, token auth, ServiceAccount admission),
#   kube-controller-manager (Deployment, ReplicaSet, garbage collector, HPA,
#   namespace and ServiceAccount controllers), kube-scheduler,
#   KWOK playing the kubelet of 3 fake Nodes (KWOK's own pod and node Stages,
#   node leases, and test/e2e/cluster/crash-loop-stage.yaml: pods labelled
#   canary-e2e/crash=true go into CrashLoopBackOff),
#   Metacontroller (built by binaries.sh, or $METACONTROLLER_BIN), and
#   canary-hooks from the bundle the image runs (dist/server.mjs), with
#   manifests/crd-canary.yaml, rbac.yaml and compositecontroller.yaml
#   installed (and the HTTPRoute, VirtualService and DestinationRule CRDs of
#   test/integration/route-crds.sh), the hook URLs pointed at it. The
#   service talks to the API as the manifests' ServiceAccount
#   canary-system/canary-hooks, so RBAC is real.
#
# What the command sees:
#   KUBECONFIG, KUBECTL, PATH   admin kubeconfig; kubectl of the same release,
#                               and kubectl-canary (dist/cli), first on PATH
#   KUBE_API_SERVER             https://127.0.0.1:<port>
#   E2E_STATE                   this cluster's state folder (logs, pid files)
#   E2E_CTL                     test/e2e/ctl.sh: start | stop | kill [SIG] |
#                               restart | ready | running | pid | log NAME, for
#                               NAME in etcd kube-apiserver kube-controller-manager
#                               kube-scheduler kwok metacontroller canary-hooks.
#                               A restart reuses the command line, port and log.
#                               e.g. `bash "$E2E_CTL" kill canary-hooks` (SIGKILL),
#                               `bash "$E2E_CTL" start canary-hooks`,
#                               `bash "$E2E_CTL" restart kube-apiserver`
#   E2E_SERVICE_URL             http://127.0.0.1:<port> of canary-hooks
#   E2E_SERVICE_METRICS_URL     http://127.0.0.1:<port>/metrics of canary-hooks (its own port)
#   E2E_SERVICE_LOG             its log (JSON lines, appended across restarts)
#   E2E_METACONTROLLER_LOG      Metacontroller's log
#
# Env:
#   KUBE_VERSION, E2E_*_VERSION  releases (kube-binaries.sh, versions.sh)
#   METACONTROLLER_BIN           your own Metacontroller binary (binaries.sh)
#   METACONTROLLER_ARGS          extra flags for it, e.g. "--client-go-qps=50"
#   METACONTROLLER_ENV           its environment, e.g. "GOGC=50 GOMEMLIMIT=200MiB"
#   E2E_APISERVER_ARGS           extra flags for kube-apiserver, e.g.
#                                "--max-requests-inflight=800" (after run.sh's
#                                own: a single-valued flag given again takes
#                                this value)
#   KEEP_CLUSTER_LOGS            folder to copy every log into at the end
#                                (always done on failure, into
#                                test/integration/.cache/e2e-logs/<cluster>)
#   E2E_SKIP_BUILD=1             run dist/ as it is, even if sources are newer
#   E2E_REPORT_DIR               folder the tests write their figures into
#                                (JSON), e.g. for repeat.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ctl="$here/ctl.sh"
shared="${CANARY_SHARED_DIR:-$repo/../shared}"
# shellcheck source=versions.sh
source "$here/versions.sh"
# run_tests, run_command, stop_command
# shellcheck source=../lib/run-tests.sh
source "$repo/test/lib/run-tests.sh"

log() { echo "[e2e] $*" >&2; }
die() {
  log "$*"
  exit 1
}

for tool in go node openssl curl setsid ps; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

# --- binaries ---------------------------------------------------------------
kube_dir="$(bash "$repo/test/integration/kube-binaries.sh" | tail -n 1)"
e2e_dir="$(bash "$here/binaries.sh" | tail -n 1)"
kubectl="$kube_dir/kubectl"
route_crds="$(bash "$repo/test/integration/route-crds.sh" | tail -n 1)"
for b in "$kube_dir/kube-apiserver" "$kube_dir/kube-controller-manager" "$kube_dir/kube-scheduler" "$kubectl" \
  "$e2e_dir/etcd" "$e2e_dir/kwok" "$e2e_dir/metacontroller"; do
  [[ -x $b ]] || die "missing binary $b (kube-binaries.sh / binaries.sh should have made it)"
done

ts_loader="$repo/node_modules/@tapjs/typescript/dist/esm/import.mjs"
[[ -f $ts_loader ]] || die "run npm ci first: $ts_loader is missing"

# The service as the image runs it, and the plugin as users install it: build
# when missing or older than any source they are built from.
newest_source="$(find "$repo/server" "$repo/hooks" "$repo/cli" "$repo/build" "$repo/package-lock.json" \
  "$repo/tsconfig.build.json" -type f -newer "$repo/dist/server.mjs" -print -quit 2>/dev/null || echo missing)"
if [[ ${E2E_SKIP_BUILD:-} == 1 && -f $repo/dist/server.mjs && -f $repo/dist/cli/main.js ]]; then
  log "E2E_SKIP_BUILD=1: running dist/ as it is"
elif [[ ! -f $repo/dist/server.mjs || ! -f $repo/dist/cli/main.js || -n $newest_source ]]; then
  log "building dist/ (npm run build)"
  (cd "$repo" && npm run build --silent) >&2 || die "npm run build failed: the e2e tests run the built service"
fi

# KWOK's standard Stages ship in its module; run from the module cache.
mod_tmp="$(mktemp -d "${TMPDIR:-/tmp}/canary-e2e-mod.XXXXXX")"
kwok_dir="$(cd "$mod_tmp" && GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "sigs.k8s.io/kwok@$E2E_KWOK_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
rm -rf "$mod_tmp"
[[ -d $kwok_dir ]] || die "could not download sigs.k8s.io/kwok@$E2E_KWOK_VERSION for its Stage files"
stages=(
  "$kwok_dir/kustomize/stage/node/fast/node-initialize.yaml"
  "$kwok_dir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"
  "$kwok_dir/kustomize/stage/pod/fast/pod-ready.yaml"
  "$kwok_dir/kustomize/stage/pod/fast/pod-complete.yaml"
  "$kwok_dir/kustomize/stage/pod/fast/pod-delete.yaml"
  "$here/cluster/crash-loop-stage.yaml"
)
for f in "${stages[@]}"; do [[ -f $f ]] || die "KWOK Stage file missing: $f"; done
[[ -f $shared/metacontroller/metacontroller-crds-v1.yaml ]] ||
  die "$shared/metacontroller/metacontroller-crds-v1.yaml is missing: set CANARY_SHARED_DIR to the folder that holds metacontroller/"

# --- state and cleanup ------------------------------------------------------
state="$(mktemp -d "${TMPDIR:-/tmp}/canary-e2e.XXXXXX")"
export E2E_STATE="$state" E2E_CTL="$ctl"

stop_all() {
  local status=$?
  stop_command
  bash "$ctl" stop-all || true
  local keep="${KEEP_CLUSTER_LOGS:-}"
  # Per cluster: test/e2e/all.sh runs two at once.
  if [[ $status -ne 0 && -z $keep ]]; then keep="$repo/test/integration/.cache/e2e-logs/$(basename "$state")"; fi
  if [[ -n $keep ]]; then
    mkdir -p "$keep"
    cp "$state"/*.log "$keep"/ 2>/dev/null || true
    log "logs kept in $keep"
  fi
  rm -rf "$state"
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

# define <name> <ready command> -- <command...>: what ctl.sh starts and probes.
define() {
  local name="$1" ready="$2"
  shift 3
  printf '%s\n' "$@" >"$state/$name.cmd"
  printf '%s\n' "$ready" >"$state/$name.ready"
  : >"$state/$name.log"
}

# --- etcd -------------------------------------------------------------------
etcd_port="$(free_port)"
etcd_peer_port="$(free_port)"
# etcd reads ETCD_* from the environment; keep any of the caller's out of it.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(ETCD_[A-Z0-9_]*\)=.*/\1/p')
define etcd "curl -fsS http://127.0.0.1:$etcd_port/health" -- "$e2e_dir/etcd" \
  --name e2e \
  --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "e2e=http://127.0.0.1:$etcd_peer_port" \
  --listen-metrics-urls "http://127.0.0.1:$(free_port)" \
  --quota-backend-bytes $((1024 * 1024 * 1024)) \
  --unsafe-no-fsync
bash "$ctl" start etcd
log "etcd $("$e2e_dir/etcd" --version | sed -n 's/^etcd Version: //p') on 127.0.0.1:$etcd_port"

# --- certificates and credentials --------------------------------------------
pki="$state/pki"
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=canary-e2e-ca" \
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
printf '%s,canary-e2e-admin,canary-e2e-admin,"system:masters"\n' "$token" >"$pki/tokens.csv"

# kubeconfig <file> <token>
kubeconfig() {
  KUBECONFIG="$1" "$kubectl" config set-cluster e2e --server="$server" \
    --certificate-authority="$pki/ca.crt" --embed-certs=true >/dev/null
  KUBECONFIG="$1" "$kubectl" config set-credentials e2e-user --token="$2" >/dev/null
  KUBECONFIG="$1" "$kubectl" config set-context e2e --cluster=e2e --user=e2e-user --namespace=default >/dev/null
  KUBECONFIG="$1" "$kubectl" config use-context e2e >/dev/null
}

# --- kube-apiserver -----------------------------------------------------------
api_port="$(free_port)"
server="https://127.0.0.1:$api_port"
export KUBECONFIG="$state/kubeconfig"
kubeconfig "$KUBECONFIG" "$token"
read -r -a api_extra <<<"${E2E_APISERVER_ARGS:-}"
define kube-apiserver "'$kubectl' --kubeconfig='$KUBECONFIG' get --raw=/readyz" -- "$kube_dir/kube-apiserver" \
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
  --enable-priority-and-fairness=false \
  --endpoint-reconciler-type=none \
  --profiling=false \
  --v=1 \
  "${api_extra[@]}"
bash "$ctl" start kube-apiserver
# /readyz is green before the built-in namespaces and RBAC roles exist.
until "$kubectl" get namespace default >/dev/null 2>&1 && "$kubectl" get clusterrole admin >/dev/null 2>&1; do sleep 0.3; done
log "kube-apiserver $("$kube_dir/kube-apiserver" --version | awk '{print $2}') on $server"

# --- kube-controller-manager and kube-scheduler ------------------------------
# The controllers a real cluster runs for Deployments: the Deployment
# controller makes ReplicaSets, the ReplicaSet controller makes and deletes
# pods, the garbage collector deletes what a deleted owner leaves, the HPA
# controller scales; namespace and ServiceAccount controllers because pods go
# through ServiceAccount admission, which needs each namespace's default one;
# the node lifecycle controller because the API server taints every new Node
# not-ready (TaintNodesByCondition) and only that controller lifts the taint.
# Their client limits are raised so 100 Canaries stepping at once are not
# throttled here rather than measured.
kcm_port="$(free_port)"
define kube-controller-manager "curl -fsSk https://127.0.0.1:$kcm_port/healthz" -- "$kube_dir/kube-controller-manager" \
  --kubeconfig="$KUBECONFIG" \
  --controllers=deployment-controller,replicaset-controller,garbage-collector-controller,horizontal-pod-autoscaler-controller,namespace-controller,serviceaccount-controller,root-ca-certificate-publisher-controller,node-lifecycle-controller \
  --root-ca-file="$pki/ca.crt" \
  --leader-elect=false \
  --bind-address=127.0.0.1 \
  --secure-port="$kcm_port" \
  --kube-api-qps=200 \
  --kube-api-burst=400 \
  --concurrent-deployment-syncs=10 \
  --concurrent-replicaset-syncs=10 \
  --v=1
bash "$ctl" start kube-controller-manager

sched_port="$(free_port)"
define kube-scheduler "curl -fsSk https://127.0.0.1:$sched_port/healthz" -- "$kube_dir/kube-scheduler" \
  --kubeconfig="$KUBECONFIG" \
  --leader-elect=false \
  --bind-address=127.0.0.1 \
  --secure-port="$sched_port" \
  --kube-api-qps=200 \
  --kube-api-burst=400 \
  --v=1
bash "$ctl" start kube-scheduler

# --- KWOK and its Nodes ----------------------------------------------------------
"$kubectl" apply -f "$here/cluster/nodes.yaml" >/dev/null
kwok_args=()
for f in "${stages[@]}"; do kwok_args+=(--config "$f"); done
# Without a node lease KWOK v0.8.0 lets its nodes go NotReady after ~50 s.
# The pod CIDR and node IP are only strings KWOK writes into statuses.
define kwok "test \"\$('$kubectl' --kubeconfig='$KUBECONFIG' get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\" \"}{end}')\" = 'True True True '" -- \
  "$e2e_dir/kwok" \
  --kubeconfig="$KUBECONFIG" \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 \
  --cidr=10.244.0.0/16 \
  --node-ip=10.245.0.1 \
  "${kwok_args[@]}"
bash "$ctl" start kwok
log "kwok $("$e2e_dir/kwok" --version | awk '{print $3}'): nodes $("$kubectl" get nodes -o name | tr '\n' ' ')"

# --- canary-hooks: CRDs, RBAC, the service ---------------------------------------
"$kubectl" apply -f "$repo/manifests/namespace.yaml" -f "$repo/manifests/crd-canary.yaml" \
  -f "$repo/manifests/rbac.yaml" -f "$shared/metacontroller/metacontroller-crds-v1.yaml" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s crd/canaries.canary.k8shuginn.io \
  crd/compositecontrollers.metacontroller.k8s.io >/dev/null
# The routers' CRDs (route-crds.sh), for the Canaries that set weights on a
# route. Server-side: they are too big for client-side apply's annotation.
"$kubectl" apply --server-side --field-manager=canary-e2e -f "$route_crds" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s crd/httproutes.gateway.networking.k8s.io \
  crd/virtualservices.networking.istio.io crd/destinationrules.networking.istio.io >/dev/null

# The service runs outside the cluster, as the manifests' ServiceAccount.
service_kubeconfig="$state/canary-hooks.kubeconfig"
kubeconfig "$service_kubeconfig" "$("$kubectl" -n canary-system create token canary-hooks --duration=48h)"

service_port="$(free_port)"
export E2E_SERVICE_URL="http://127.0.0.1:$service_port"
# /metrics is served on a port of its own, never on the hooks' port.
service_metrics_port="$(free_port)"
export E2E_SERVICE_METRICS_URL="http://127.0.0.1:$service_metrics_port/metrics"
# Node flags as `npm start` and the image use them (build/bundle.js NODE_FLAGS).
mapfile -t node_flags < <(cd "$repo" && node --input-type=module \
  -e 'const m = await import("./build/bundle.js"); console.log(m.NODE_FLAGS.join("\n"))')
define canary-hooks "curl -fsS $E2E_SERVICE_URL/readyz" -- node "${node_flags[@]}" "$repo/dist/server.mjs"
printf '%s\n' "PORT=$service_port" "METRICS_PORT=$service_metrics_port" "KUBECONFIG=$service_kubeconfig" "LOG_LEVEL=info" \
  "SHUTDOWN_DELAY_SECONDS=1" >"$state/canary-hooks.env"
bash "$ctl" start canary-hooks
export E2E_SERVICE_LOG="$state/canary-hooks.log"
log "canary-hooks ($(tr '\n' ' ' <"$state/canary-hooks.cmd")) on $E2E_SERVICE_URL"

# --- Metacontroller ---------------------------------------------------------------
mc_health="$(free_port)"
read -r -a mc_extra <<<"${METACONTROLLER_ARGS:-}"
define metacontroller "curl -fsS http://127.0.0.1:$mc_health/readyz" -- "$e2e_dir/metacontroller" \
  --kubeconfig="$KUBECONFIG" \
  --health-probe-bind-address="127.0.0.1:$mc_health" \
  --metrics-address="127.0.0.1:$(free_port)" \
  --discovery-interval=10s \
  --zap-log-level=info \
  "${mc_extra[@]}"
# Its environment alone, not the other Go components' (e.g. GOGC=50).
read -r -a mc_env <<<"${METACONTROLLER_ENV:-}"
((${#mc_env[@]} == 0)) || printf '%s\n' "${mc_env[@]}" >"$state/metacontroller.env"
bash "$ctl" start metacontroller
export E2E_METACONTROLLER_LOG="$state/metacontroller.log"

(cd "$repo" && TS_NODE_TRANSPILE_ONLY=1 node --import="file://$ts_loader" test/e2e/cluster/compositecontroller.ts \
  "$E2E_SERVICE_URL") | "$kubectl" apply -f - >/dev/null
log "metacontroller $E2E_METACONTROLLER_VERSION with compositecontroller/canary-hooks -> $E2E_SERVICE_URL"

# --- what the command sees -----------------------------------------------------------
plugin_dir="$state/bin"
mkdir -p "$plugin_dir"
ln -s "$repo/dist/cli/main.js" "$plugin_dir/kubectl-canary"
export KUBECTL="$kubectl" KUBE_API_SERVER="$server"
export PATH="$plugin_dir:$kube_dir:$PATH"
cd "$repo"

RUN_TESTS_LABEL=e2e RUN_TESTS_OUT="$state" RUN_TESTS_TIMEOUT=1200 RUN_TESTS_LOADER="$ts_loader"

if [[ $# -eq 0 ]]; then
  shopt -s nullglob
  # The walkthrough first: it is what a user sees on a cluster that has just
  # started, before any other test has left work behind for Metacontroller.
  tests=(test/e2e/walkthrough.e2e.ts)
  for f in test/e2e/*.e2e.ts; do [[ $f == "${tests[0]}" ]] || tests+=("$f"); done
  [[ -f ${tests[0]} ]] || die "test/e2e/walkthrough.e2e.ts is missing"
  set -- run_tests "${tests[@]}"
fi
log "cluster up after ${SECONDS}s; running: $*"
set +e
run_command "$@"
rc=$?
set -e
exit "$rc"
