#!/usr/bin/env bash
# Run the browser suite N times in a row (default 5) and stop at the first red run:
# the check that the suite does not flake. Forced 200 ms repaints are on, as in make test.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
for i in $(seq 1 "$runs"); do
  echo "== browser run $i of $runs"
  .venv/bin/python -m pytest -q -p no:cacheprovider tests/browser
done
echo "== $runs green runs in a row"
