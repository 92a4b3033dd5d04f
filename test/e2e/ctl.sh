#!/usr/bin/env bash
# Start, stop, kill and restart the processes of the end-to-end cluster that
# test/e2e/run.sh set up. run.sh starts every component through this script,
# and tests use it to inject faults, so a restart is always the same command
# line, log file and port as the first start.
#
#   bash "$E2E_CTL" start NAME        start (if not running), wait until ready
#   bash "$E2E_CTL" stop NAME         SIGTERM its process group, SIGKILL after 15 s
#   bash "$E2E_CTL" kill NAME [SIG]   signal its process group (default KILL), wait until gone
#   bash "$E2E_CTL" restart NAME      stop, then start
#   bash "$E2E_CTL" ready NAME [SECS] wait until its readiness probe passes
#   bash "$E2E_CTL" running NAME      exit 0 when it is running
#   bash "$E2E_CTL" pid NAME          its pid (also its process group id)
#   bash "$E2E_CTL" log NAME          the path of its log (appended across restarts)
#   bash "$E2E_CTL" names             the components, in start order
#   bash "$E2E_CTL" stop-all          stop everything, newest first
#
# NAME: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok,
# metacontroller, canary-hooks.
#
# State lives in $E2E_STATE (run.sh exports it): for each NAME, NAME.cmd (the
# command, one argument per line), NAME.env (extra environment, KEY=VALUE per
# line), NAME.ready (a bash command that succeeds once it serves), NAME.pid
# and NAME.log.
set -euo pipefail

: "${E2E_STATE:?E2E_STATE is not set: use this inside test/e2e/run.sh}"

ctl_log() { echo "[e2e-ctl] $*" >&2; }

# A process that exited stays a zombie until its parent waits for it; a
# zombie is gone for our purposes.
alive() {
  local pid="$1" stat
  stat="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
  [[ -n $stat && $stat != Z* ]]
}

pid_of() {
  local f="$E2E_STATE/$1.pid"
  [[ -s $f ]] && cat "$f"
}

is_running() {
  local pid
  pid="$(pid_of "$1")" || return 1
  alive "$pid"
}

known() {
  [[ -f "$E2E_STATE/$1.cmd" ]] || {
    ctl_log "unknown component $1 (known: $(names | tr '\n' ' '))"
    exit 2
  }
}

names() { [[ -f "$E2E_STATE/order" ]] && cat "$E2E_STATE/order"; }

wait_ready() {
  local name="$1" secs="${2:-120}"
  local ready="$E2E_STATE/$name.ready" deadline=$((SECONDS + secs))
  [[ -f $ready ]] || return 0
  until bash "$ready" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      ctl_log "$name exited before it was ready; last lines of its log:"
      tail -n 40 "$E2E_STATE/$name.log" >&2 || true
      return 1
    fi
    if ((SECONDS > deadline)); then
      ctl_log "$name not ready after ${secs}s; last lines of its log:"
      tail -n 40 "$E2E_STATE/$name.log" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

start() {
  local name="$1"
  known "$name"
  if is_running "$name"; then
    wait_ready "$name"
    return
  fi
  local -a cmd env=()
  mapfile -t cmd <"$E2E_STATE/$name.cmd"
  [[ -f "$E2E_STATE/$name.env" ]] && mapfile -t env <"$E2E_STATE/$name.env"
  echo "--- $(date -u +%FT%T.%3NZ) start: ${cmd[*]}" >>"$E2E_STATE/$name.log"
  # A session of its own, so the whole process group can be signalled; not a
  # child of whoever called this (a test), so it outlives the caller.
  env "${env[@]}" setsid "${cmd[@]}" >>"$E2E_STATE/$name.log" 2>&1 </dev/null &
  echo "$!" >"$E2E_STATE/$name.pid.tmp"
  mv -f "$E2E_STATE/$name.pid.tmp" "$E2E_STATE/$name.pid"
  grep -qx "$name" "$E2E_STATE/order" 2>/dev/null || echo "$name" >>"$E2E_STATE/order"
  wait_ready "$name" "${E2E_READY_TIMEOUT:-180}"
}

# signal_group <name> <signal> <seconds before SIGKILL>
signal_group() {
  local name="$1" sig="$2" secs="$3" pid i
  pid="$(pid_of "$name")" || return 0
  alive "$pid" || return 0
  echo "--- $(date -u +%FT%T.%3NZ) signal $sig" >>"$E2E_STATE/$name.log"
  kill "-$sig" -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    alive "$pid" || return 0
    sleep 0.1
  done
  ctl_log "$name (pid $pid) did not exit"
  return 1
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start) start "$1" ;;
  stop)
    known "$1"
    signal_group "$1" TERM 15
    ;;
  kill)
    known "$1"
    signal_group "$1" "${2:-KILL}" 5
    ;;
  restart)
    known "$1"
    signal_group "$1" TERM 15
    start "$1"
    ;;
  ready)
    known "$1"
    wait_ready "$1" "${2:-120}"
    ;;
  running)
    known "$1"
    is_running "$1"
    ;;
  pid)
    known "$1"
    pid_of "$1"
    ;;
  log)
    known "$1"
    echo "$E2E_STATE/$1.log"
    ;;
  names) names ;;
  stop-all)
    mapfile -t all < <(names | tac)
    rc=0
    for name in "${all[@]}"; do signal_group "$name" TERM 10 || rc=1; done
    exit "$rc"
    ;;
  *)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
