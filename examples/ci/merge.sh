#!/bin/sh
# merge.sh OUT SHARD_DIR... - merge what shard.sh wrote in each SHARD_DIR
# into one report in OUT: junit.xml (a testsuite per scenario, for the CI
# system's test view), report.html, report.json and summary.txt. The runs
# are sorted by scenario, so the result does not depend on which shard
# finished first. Exit code: `ecsboot report merge`'s (0 every expectation
# passed, 1 one failed, 4 none failed but one was INCONCLUSIVE).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: merge.sh OUT SHARD_DIR..." >&2
  exit 2
fi
out=$1
shift
reports=""
for d in "$@"; do
  for r in "$d"/reports/*/report.json; do
    [ -e "$r" ] && reports="$reports $r"
  done
done
if [ -z "$reports" ]; then
  echo "merge.sh: no report.json under $*/reports/" >&2
  exit 2
fi
mkdir -p "$out"
# shellcheck disable=SC2086 # one argument per report; paths hold no spaces
exec "${ECSBOOT:-ecsboot}" report merge --out "$out" \
  --format junit,html,json,term $reports
