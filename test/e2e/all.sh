#!/usr/bin/env bash
# `npm run test:e2e`: every test/e2e/*.e2e.ts on two clusters of run.sh at
# once, to halve the wall time. The tests wait for real minutes of their cron
# schedules far more than they use the CPU, so two clusters on 2 cores keep
# up.
#
# The plan below places each file. Files that restart parts of the cluster
# (faults: every component; scale: Metacontroller with other flags) run one
# at a time; the others share a cluster, each in its own namespace, and run
# at the same time. A test file the plan does not name fails the run: place
# it here.
#
# The "shared" cluster installs canary-hooks through the Helm chart
# (E2E_INSTALL=chart), the "restarts" cluster through manifests/, so the
# same tests prove both installs.
#
#   bash test/e2e/all.sh          # what CI runs
#   E2E_CLUSTERS=1 bash test/e2e/all.sh   # the same plan on one cluster, in turn
#
# The output of each cluster is prefixed with its name. SIGTERM or SIGINT is
# passed to both run.sh, which stop their tests and tear their clusters down.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

# Cluster "restarts": the files that restart components, in turn.
restarts=(test/e2e/faults.e2e.ts)
# Cluster "shared": first the files that disturb nobody, all at once; then
# (same cluster, once they have ended) scale.e2e.ts, which restarts
# Metacontroller, so the two clusters end at about the same time.
together=(test/e2e/walkthrough.e2e.ts test/e2e/steplist.e2e.ts test/e2e/autoscale.e2e.ts test/e2e/traffic.e2e.ts
  test/e2e/monitoring.e2e.ts)
after=(test/e2e/scale.e2e.ts)

planned=" ${restarts[*]} ${together[*]} ${after[*]} "
unplanned=()
for f in test/e2e/*.e2e.ts; do [[ $planned == *" $f "* ]] || unplanned+=("$f"); done
if ((${#unplanned[@]} > 0)); then
  echo "[e2e] not in the plan of test/e2e/all.sh: ${unplanned[*]} (place each file there)" >&2
  exit 1
fi
for f in $planned; do [[ -f $f ]] || {
  echo "[e2e] test/e2e/all.sh plans $f, which does not exist" >&2
  exit 1
}; done

# The binaries and dist/ once, before two clusters would race to build them.
bash test/integration/kube-binaries.sh >/dev/null || exit 1
bash "$here/binaries.sh" >/dev/null || exit 1
bash test/integration/route-crds.sh >/dev/null || exit 1
bash test/integration/helm-binary.sh >/dev/null || exit 1
bash test/lib/ensure-prometheus.sh >/dev/null || exit 1
(npm run build --silent) >&2 || exit 1
export E2E_SKIP_BUILD=1

if [[ ${E2E_CLUSTERS:-2} == 1 ]]; then
  exec bash "$here/run.sh" run_tests "${together[*]}" "${after[@]}" "${restarts[@]}"
fi

pids=()
stop() {
  kill -TERM "${pids[@]}" 2>/dev/null
  wait
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

# Each run.sh is a child of this shell, so the pid a signal goes to is
# run.sh's own (a pipeline into sed would give the subshell's).
bash "$here/run.sh" run_tests "${restarts[@]}" > >(sed -u 's/^/[restarts] /') 2>&1 &
pids+=($!)
E2E_INSTALL=chart bash "$here/run.sh" run_tests "${together[*]}" "${after[@]}" > >(sed -u 's/^/[shared] /') 2>&1 &
pids+=($!)

rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
# Let the prefixing processes print the last lines before the verdict.
sleep 1
echo
if ((rc == 0)); then echo "e2e: both clusters passed"; else echo "e2e: FAILED (see the [restarts] and [shared] summaries above)"; fi
exit "$rc"
