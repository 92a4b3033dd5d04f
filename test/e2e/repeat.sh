#!/usr/bin/env bash
# Run the README walkthrough on the real engine N times in a row, each on a
# fresh cluster, and count what issue 10 is about: regressions of
# currentStep, replica changes beyond one per Deployment per step, decisions
# beyond one per step, and restarts of a rolled-back image. One summary line
# per run, then the total; exits non-zero if any run failed or counted any.
#
#   bash test/e2e/repeat.sh 10
#
# Env: as test/e2e/run.sh. Each run's figures and logs stay in
# test/integration/.cache/e2e-repeat/<run>/ (walkthrough.json, *.log).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runs="${1:-10}"
[[ $runs =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: bash test/e2e/repeat.sh N   (N >= 1 runs)" >&2
  exit 2
}
out="$repo/test/integration/.cache/e2e-repeat/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"

# One number out of a run's walkthrough.json, by a JS expression over it (f).
figure() {
  node -e 'const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$1" "$2"
}

total_regressions=0 total_changes=0 total_decisions=0 total_restarts=0 failed=0 clean=0
for ((i = 1; i <= runs; i++)); do
  dir="$out/$i"
  mkdir -p "$dir"
  started=$SECONDS
  set +e
  E2E_REPORT_DIR="$dir" KEEP_CLUSTER_LOGS="$dir" bash "$here/run.sh" run_tests test/e2e/walkthrough.e2e.ts >"$dir/run.out" 2>&1
  rc=$?
  set -e
  json="$dir/walkthrough.json"
  if [[ ! -f $json ]]; then
    failed=$((failed + 1))
    echo "run $i/$runs: no figures (exit $rc, $((SECONDS - started)) s); see $dir/run.out"
    continue
  fi
  r="$(figure "$json" 'f.regressions')"
  c="$(figure "$json" 'Object.values(f.extraReplicaChanges).reduce((a, b) => a + b, 0)')"
  d="$(figure "$json" 'f.extraDecisions')"
  s="$(figure "$json" 'f.rolledBackRestarts')"
  seq="$(figure "$json" 'f.stepSequence.join(" ")')"
  total_regressions=$((total_regressions + r))
  total_changes=$((total_changes + c))
  total_decisions=$((total_decisions + d))
  total_restarts=$((total_restarts + s))
  ((rc == 0)) || failed=$((failed + 1))
  ((rc == 0 && r + c + d + s == 0)) && clean=$((clean + 1))
  echo "run $i/$runs: exit $rc, $((SECONDS - started)) s, regressions $r, extra replica changes $c, extra decisions $d, restarts of a rolled-back image $s; steps: $seq"
done
echo "total: $runs runs, $clean clean, $failed failed; regressions $total_regressions, extra replica changes $total_changes, extra decisions $total_decisions, restarts of a rolled-back image $total_restarts (figures in $out)"
((failed == 0 && total_regressions + total_changes + total_decisions + total_restarts == 0))
