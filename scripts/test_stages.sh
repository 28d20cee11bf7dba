#!/usr/bin/env bash
# `make test`'s stages, overlapped where the machine would otherwise wait, and each stage's wall time at
# the end (Makefile test; README "Tests").
#
# test-plugin is mostly package downloads, virtual environments and a host's migrations: it runs in the
# background from the start, beside test-sqlite and the PostgreSQL stages. The PostgreSQL template database
# is migrated in the background beside test-sqlite; the PostgreSQL concurrency files run in the background
# beside the PostgreSQL main pass. A background stage's output is printed in one block when it ends. Every
# stage runs to its end even when an earlier one failed (one run reports every failure); the exit status is
# 1 when any failed. Only a lint failure stops the run at once.
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

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

background() {  # NAME TARGET: a make target in the background; its output is kept for `finish NAME`
  (
    local start=$SECONDS
    $make --no-print-directory "$2" >"$scratch/$2.log" 2>&1
    echo "$? $((SECONDS - start))" >"$scratch/$2.status"
  ) &
  echo "$!" >"$scratch/$2.pid"
  echo "== $1 started in the background (its output follows)"
}

finish() {  # NAME TARGET: wait for a background stage, print its output in one block, record it
  local waited=$SECONDS rc seconds
  wait "$(cat "$scratch/$2.pid")"
  echo "== $1 (background)"
  cat "$scratch/$2.log"
  read -r rc seconds <"$scratch/$2.status" || { rc=1; seconds=?; }
  record "$1 (background)" "$seconds" "$rc" "waited $((SECONDS - waited)) s for it at the end"
}

background "test-plugin" test-plugin
if [ -n "${SHIXUN_TEST_POSTGRES_URL:-}" ]; then
  # The PostgreSQL template (migrated once; the main pass's workers and each concurrency file clone it) is
  # made beside test-sqlite, so the PostgreSQL stages start without migrating.
  background "test-postgres: template database" test-postgres-template
fi

stage "test-sqlite" test-sqlite
if [ -n "${SHIXUN_TEST_POSTGRES_URL:-}" ]; then
  finish "test-postgres: template database" test-postgres-template
  export PG_TEMPLATE_READY=1  # test-postgres-main and -files: the template is made, do not make it again
  # The concurrency files spend much of their time waiting (threads at barriers, clusters starting), so
  # they run beside the main pass; each file has a database of its own, cloned from the template.
  background "test-postgres: concurrency files (${PG_FILE_JOBS:-2} at a time)" test-postgres-files
  stage "test-postgres: main pass" test-postgres-main
  finish "test-postgres: concurrency files (${PG_FILE_JOBS:-2} at a time)" test-postgres-files
else
  echo "SHIXUN_TEST_POSTGRES_URL not set: PostgreSQL run skipped (.ci/run sets it)."
fi

finish "test-plugin" test-plugin

echo ""
echo "== make test: wall time of each stage (background stages overlapped the others)"
printf '%s\n' "${summary[@]}"
printf '  %-50s %6s s\n' "total" $((SECONDS - started))
exit "$failed"
