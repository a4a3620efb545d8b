#!/bin/sh
# shard.sh K N DIR SCENARIO... - run slice K of N of the scenario files
# with `ecsboot run --shard K/N` (stable by file name: adding a scenario
# moves no other one), event logs in DIR/out/<scenario>/ and reports in
# DIR/reports/<scenario>/ (JSON and JUnit, what the merge reads).
# The GitHub Actions workflow and the Kubernetes Indexed Job beside this
# file both call it; ECSBOOT names the program (default: ecsboot on PATH).
# Exit code: ecsboot run's (0 passed, 1 an expectation failed, 2 a bad
# scenario, 4 INCONCLUSIVE); a shard with no scenario of its own exits 0.
set -eu
if [ $# -lt 4 ]; then
  echo "usage: shard.sh K N DIR SCENARIO..." >&2
  exit 2
fi
k=$1 n=$2 dir=$3
shift 3
mkdir -p "$dir"
exec "${ECSBOOT:-ecsboot}" run --no-progress --shard "$k/$n" \
  --out "$dir/out" --report-dir "$dir/reports" --formats json,junit,term "$@"
