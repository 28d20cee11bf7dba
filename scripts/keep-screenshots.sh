#!/usr/bin/env bash
# keep-screenshots.sh [ROOT]: pack the browser tests' screenshots into one file and list them.
#
# The browser tests (tests/e2e, tests/h5p/test_browser.py) save every page at 360 px and desktop
# width in ROOT/test-artifacts/screenshots/. Nothing known about this project's CI keeps a folder
# after a run (the README and .ci/run name none; what is on record of a run is what it printed),
# so .ci/run calls this at its end, passed or failed: one archive at a fixed, documented path,
# ROOT/test-artifacts/screenshots.tar.gz, and its contents listed in the run's output.
set -euo pipefail
root=${1:-.}
dir="$root/test-artifacts/screenshots"
archive="$root/test-artifacts/screenshots.tar.gz"
if [ ! -d "$dir" ] || [ -z "$(find "$dir" -name '*.png' -print -quit)" ]; then
  echo "Screenshots: none were taken ($dir holds no PNG)."
  exit 0
fi
tar -czf "$archive" -C "$root/test-artifacts" screenshots
count=$(tar -tzf "$archive" | grep -c '\.png$')
echo "Screenshots: $count PNG files kept in $archive ($(du -h "$archive" | cut -f1)):"
tar -tzf "$archive" | grep '\.png$' | sort | sed 's/^/  /'
