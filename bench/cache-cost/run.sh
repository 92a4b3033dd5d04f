#!/usr/bin/env bash
# What one Canary's objects cost in Metacontroller's informer cache:
#   bash test/e2e/run.sh bash bench/cache-cost/run.sh
# Applies manifests/examples/ in a namespace of its own, takes step 1, dumps
# the Canary, its Deployments and their pods as the API server stores them,
# and prints each kind's live heap when decoded unstructured (main.go).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
ns="cache-cost-$RANDOM"
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" apply -k "$repo/manifests/examples/" >/dev/null
kubectl -n "$ns" annotate canary my-app canary.k8shuginn.io/command=apply >/dev/null
# Step 1 taken and its replicas available: v1 at 8, v2 at 2.
at_step_1() {
  [[ "$(kubectl -n "$ns" get deployment my-app-v2 -o jsonpath='{.status.availableReplicas}')" == 2 &&
    "$(kubectl -n "$ns" get deployment my-app-v1 -o jsonpath='{.status.availableReplicas}')" == 8 ]]
}
for ((i = 0; i < 120; i++)); do at_step_1 && break; sleep 1; done
# Objects of another moment would measure something else: say so rather than print it.
at_step_1 || {
  echo "cache-cost: my-app did not reach step 1 (v1 8, v2 2 available) within 120 s" >&2
  kubectl -n "$ns" get canary,deployments >&2 || true
  exit 1
}
for kind in pods deployments canaries; do
  kubectl -n "$ns" get "$kind" -o json --show-managed-fields >"$out/$kind.json"
done
kubectl delete namespace "$ns" --wait=false >/dev/null
(cd "$here" && GOTOOLCHAIN=local go run . "$out/pods.json" "$out/deployments.json" "$out/canaries.json")
