# shellcheck shell=bash
# What test/integration/run.sh and test/e2e/run.sh share once their cluster
# is up: running test files (run_tests) and running the command they were
# given so that SIGTERM or SIGINT stops it and lets the caller tear the
# cluster down (run_command). Sourced, never run.
#
# The caller sets, before calling either:
#   RUN_TESTS_LABEL     the word of the summary line ("e2e: 3 passed, 0 failed")
#   RUN_TESTS_OUT       a folder for each file's TAP output
#   RUN_TESTS_TIMEOUT   TAP_TIMEOUT of each file, in seconds
#   RUN_TESTS_LOADER    tap's TypeScript import hook (node_modules/@tapjs/typescript/...)
# and has a `log` function.

# Each test file runs as a plain node process with tap's TypeScript loader,
# not through the tap runner: the runner keeps its state and coverage in the
# project's .tap/ folder, which `npm test` in the same tree must have alone.
# Types are checked by `npm run typecheck`; here only transpile, as tap does.
# A test drives a cluster and child processes: allow it more than tap's 30 s.
_run_test_file() {
  TAP_TIMEOUT="$RUN_TESTS_TIMEOUT" TS_NODE_TRANSPILE_ONLY=1 node --import="file://$RUN_TESTS_LOADER" \
    --enable-source-maps "$1"
}

# run_tests FILE...: one file after another, each file's TAP printed as it
# runs. A FILE argument may name several files joined by spaces
# ("a.e2e.ts b.e2e.ts"): those run at the same time (their TAP is printed
# whole as each ends, in the order given), for files that share a cluster
# without disturbing each other; the next argument starts once all of them
# have ended.
run_tests() {
  [[ -f $RUN_TESTS_LOADER ]] || {
    log "run npm ci first: $RUN_TESTS_LOADER is missing"
    return 1
  }
  local group file out passed=0 failed=0 bad_files=() files pids i
  for group in "$@"; do
    read -r -a files <<<"$group"
    if ((${#files[@]} == 1)); then
      file="${files[0]}"
      log "$file"
      out="$RUN_TESTS_OUT/$(basename "$file").tap"
      _run_test_file "$file" | tee "$out" || bad_files+=("$file")
    else
      log "together: ${files[*]}"
      pids=()
      for file in "${files[@]}"; do
        _run_test_file "$file" >"$RUN_TESTS_OUT/$(basename "$file").tap" 2>&1 &
        pids+=($!)
      done
      for i in "${!files[@]}"; do
        file="${files[$i]}"
        wait "${pids[$i]}" || bad_files+=("$file")
        log "$file"
        cat "$RUN_TESTS_OUT/$(basename "$file").tap"
      done
    fi
    for file in "${files[@]}"; do
      out="$RUN_TESTS_OUT/$(basename "$file").tap"
      # Top-level subtests are the unindented ok / not ok lines.
      passed=$((passed + $(grep -c '^ok ' "$out" || true)))
      failed=$((failed + $(grep -c '^not ok ' "$out" || true)))
    done
  done
  if ((${#bad_files[@]} > 0 && failed == 0)); then failed=${#bad_files[@]}; fi
  echo
  echo "$RUN_TESTS_LABEL: $passed passed, $failed failed"
  ((${#bad_files[@]} == 0)) || {
    log "failed: ${bad_files[*]}"
    return 1
  }
}

_run_command_pid=""

# A process we started and have not waited for stays a zombie: gone for us.
_run_command_alive() {
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null || true)"
  [[ -n $stat && $stat != Z* ]]
}

# Stops the running command, if any: SIGTERM to its whole process group (the
# test file, the kubectl and node processes it started), SIGKILL to whatever
# is left after 10 s. Safe to call twice.
stop_command() {
  local pid="$_run_command_pid" i
  [[ -n $pid ]] || return 0
  _run_command_pid=""
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    _run_command_alive "$pid" || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_command <command...>: runs it and returns its exit status.
#
# Bash runs a trap only once the foreground command has exited, so a SIGTERM
# sent to the script alone would wait for the whole test run. The command
# therefore runs as a background job in a process group of its own (job
# control, set -m), and the script waits for it (stdin stays the script's,
# except a terminal: a background group that reads it is stopped, so
# run_tests gets /dev/null there). A trapped signal
# interrupts that wait at once. The caller's traps call stop_command before
# they exit. An interactive command (a shell, with stdin a terminal) runs in
# the foreground as before: Ctrl-C reaches it from the terminal, and a
# SIGTERM to the script waits until the user leaves the shell.
run_command() {
  local rc=0
  if [[ -t 0 && $1 != run_tests ]]; then
    "$@" || rc=$?
    return "$rc"
  fi
  set -m
  if [[ -t 0 ]]; then "$@" </dev/null & else "$@" & fi
  _run_command_pid=$!
  set +m
  wait "$_run_command_pid" || rc=$?
  _run_command_pid=""
  return "$rc"
}
