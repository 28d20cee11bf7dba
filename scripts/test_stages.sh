#!/usr/bin/env bash
# `make test`'s stages, overlapped where the machine would otherwise wait, and each stage's wall time at
# the end (Makefile test; README "Tests").
#
# test-plugin is mostly package downloads, virtual environments and a host's migrations: it runs in the
# background from the start, beside test-sqlite and the PostgreSQL stages, and its output is printed in
# one block when it ends. Every stage runs to its end even when an earlier one failed (one run reports
# every failure); the exit status is 1 when any failed. Only a lint failure stops the run at once.
set -uo pipefail
make=${MAKE:-make}
started=$SECONDS
summary=()
failed=0

record() {  # NAME SECONDS EXIT-STATUS [NOTE]
  local result=passed
  if [ "$3" != 0 ]; then result="FAILED (exit $3)"; failed=1; fi
  summary+=("$(printf '  %-50s %6s s  %s%s' "$1" "$2" "$result" "${4:+  ($4)}")")
}

stage() {  # NAME TARGET: a make target in the foreground, timed
  local start=$SECONDS rc
  echo "== $1"
  $make --no-print-directory "$2"
  rc=$?
  record "$1" $((SECONDS - start)) "$rc"
  return "$rc"
}

stage "ruff" lint-quiet || { printf '%s\n' "${summary[@]}"; exit 1; }

plugin_log=$(mktemp)
plugin_status=$(mktemp)
trap 'rm -f "$plugin_log" "$plugin_status"' EXIT
(
  start=$SECONDS
  $make --no-print-directory test-plugin >"$plugin_log" 2>&1
  echo "$? $((SECONDS - start))" >"$plugin_status"
) &
plugin_pid=$!
echo "== test-plugin started in the background (its output follows the last stage)"

stage "test-sqlite" test-sqlite
if [ -n "${SHIXUN_TEST_POSTGRES_URL:-}" ]; then
  stage "test-postgres: main pass" test-postgres-main
  stage "test-postgres: concurrency files (${PG_FILE_JOBS:-2} at a time)" test-postgres-files
else
  echo "SHIXUN_TEST_POSTGRES_URL not set: PostgreSQL run skipped (.ci/run sets it)."
fi

waited=$SECONDS
wait "$plugin_pid"
echo "== test-plugin (background)"
cat "$plugin_log"
read -r plugin_rc plugin_seconds <"$plugin_status" || { plugin_rc=1; plugin_seconds=?; }
record "test-plugin (background)" "$plugin_seconds" "$plugin_rc" "waited $((SECONDS - waited)) s for it at the end"

echo ""
echo "== make test: wall time of each stage (test-plugin overlapped the others)"
printf '%s\n' "${summary[@]}"
printf '  %-50s %6s s\n' "total" $((SECONDS - started))
exit "$failed"
