#!/usr/bin/env bash
# Run the commands read from stdin, one a line as LABEL<TAB>COMMAND, JOBS at a time (Makefile: the
# per-file PostgreSQL runs, the Wagtail lines of test-plugin).
#
#   printf '%s\t%s\n' "label" "command" ... | scripts/in_parallel.sh JOBS
#
# Each command's output is held back and printed in one block when it ends, headed by its label, result
# and wall time, so two runs' lines never interleave. Every command runs to its end; the exit status is 1
# when any of them failed.
set -uo pipefail
jobs=${1:?usage: scripts/in_parallel.sh JOBS < LABEL<TAB>COMMAND lines}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export out

one() {
  local label=${1%%$'\t'*} command=${1#*$'\t'} log start rc
  log=$(mktemp "$out/log.XXXXXX")
  start=$SECONDS
  bash -c "$command" >"$log" 2>&1
  rc=$?
  {
    flock 9
    if [ "$rc" = 0 ]; then result=passed; else result="FAILED (exit $rc)"; fi
    echo "== $label: $result in $((SECONDS - start)) s"
    cat "$log"
  } 9>"$out/lock"
  [ "$rc" = 0 ]
}
export -f one

xargs -d '\n' -P "$jobs" -I{} bash -c 'one "$1"' _ {} || exit 1
