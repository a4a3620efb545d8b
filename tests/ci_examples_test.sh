#!/usr/bin/env bash
# ci_examples_test.sh BUILD_DIR - runs what examples/ci/ runs: the
# scenarios in three shards one after another (shard.sh, as each job of
# the GitHub Actions matrix and each pod of the Kubernetes Indexed Job
# does), then merge.sh, and checks the merged JUnit against an unsharded
# `ecsboot run` of the same scenarios: the same testsuites and testcases
# with the same outcomes. Also checks that the workflow and the Job call
# those two scripts, so they cannot drift apart from what is tested here.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "ci_examples_test: $*" >&2; exit 1; }
export ECSBOOT=$build/cli/ecsboot
ci=$src/examples/ci

# shellcheck disable=SC2016 # the files' literal text, not expansions
{
  grep -q 'examples/ci/shard.sh" ${{ matrix.shard }} "$SHARDS"' "$ci/github-actions.yml" ||
    fail "github-actions.yml does not call shard.sh"
  grep -q 'examples/ci/merge.sh" merged ecsboot-shard-\*' "$ci/github-actions.yml" ||
    fail "github-actions.yml does not call merge.sh"
  grep -q 'examples/ci/shard.sh "$k" "$SHARDS"' "$ci/k8s-indexed-job.yaml" ||
    fail "k8s-indexed-job.yaml does not call shard.sh"
  grep -q 'k=$((JOB_COMPLETION_INDEX + 1))' "$ci/k8s-indexed-job.yaml" ||
    fail "k8s-indexed-job.yaml does not map JOB_COMPLETION_INDEX to K"
}

# Short scenarios that pass, and one whose expectations fail on purpose
# (a typo'd dependency name would be a scenario error; a failing verdict
# must survive the merge as a failing testcase).
mkdir -p "$tmp/scenarios"
for s in t0-t4 server-late metadata-down essential-app-exits; do
  sed "s#\"\\.\\./\\.\\./examples/#\"$src/examples/#" \
    "$src/scenarios/catalog/$s.json" >"$tmp/scenarios/$s.json"
done
cat >"$tmp/scenarios/zz-expected-fail.json" <<JSON
{"name": "zz-expected-fail", "time_scale": 0.01, "deadline": "2m",
 "task_definition": "$src/examples/mesh-task-taskdef.json",
 "expect": {"milestones": {"T4": {"within": "1s"}}}}
JSON

shards=()
inconclusive=0
for k in 1 2 3; do
  set +e
  "$ci/shard.sh" "$k" 3 "$tmp/shard-$k" "$tmp"/scenarios/*.json >"$tmp/shard-$k.log" 2>&1
  rc=$?
  set -e
  [ $rc != 4 ] || inconclusive=1
  case $rc in 0 | 1 | 4) ;; *) cat "$tmp/shard-$k.log" >&2; fail "shard $k exited $rc" ;; esac
  shards+=("$tmp/shard-$k")
done
set +e
"$ci/merge.sh" "$tmp/merged" "${shards[@]}" >"$tmp/merge.log" 2>&1
rc=$?
"$ECSBOOT" run --no-progress -q --out "$tmp/whole" --report-dir "$tmp/whole" \
  --formats junit \
  "$tmp"/scenarios/*.json >"$tmp/whole.log" 2>&1
whole_rc=$?
set -e
# 4: a verdict was INCONCLUSIVE, the host too busy to decide it (the run
# says how much lag it measured); outcomes cannot be compared then.
if [ $inconclusive = 1 ] || [ $rc = 4 ] || [ $whole_rc = 4 ]; then
  grep -h "INCONCLUSIVE" "$tmp"/*.log >&2 || true
  echo "ci_examples_test: skipped: a verdict was INCONCLUSIVE on this busy host" >&2
  exit 77
fi
[ $rc = 1 ] || { cat "$tmp/merge.log" >&2; fail "merge exited $rc, not 1 (one scenario fails)"; }
[ $whole_rc = 1 ] || { cat "$tmp/whole.log" >&2; fail "the unsharded run exited $whole_rc"; }
[ -s "$tmp/merged/report.html" ] || fail "no merged report.html"

# testsuite and testcase names with their outcome, in a stable order
outcomes() {
  awk '
    /<testsuite / { match($0, /name="[^"]*"/); suite = substr($0, RSTART + 6, RLENGTH - 7) }
    /<testcase / {
      match($0, /name="[^"]*"/); name = substr($0, RSTART + 6, RLENGTH - 7)
      state = "pass"
      if ($0 !~ /\/>[[:space:]]*$/) { open = suite "\t" name; next }
      print suite "\t" name "\t" state
    }
    /<failure/ && open != "" { print open "\tfail"; open = ""; next }
    /<skipped/ && open != "" { print open "\tskipped"; open = ""; next }
    /<\/testcase>/ && open != "" { print open "\tpass"; open = "" }
  ' "$1" | sort
}
outcomes "$tmp/merged/junit.xml" >"$tmp/merged.txt"
outcomes "$tmp/whole/junit.xml" >"$tmp/whole.txt"
# A skipped testcase is an INCONCLUSIVE verdict that a shard holding the
# failing scenario too reported as a failure (exit 1): the same busy host.
if grep -q "	skipped$" "$tmp/merged.txt" "$tmp/whole.txt"; then
  grep -h "	skipped$" "$tmp/merged.txt" "$tmp/whole.txt" >&2
  echo "ci_examples_test: skipped: a verdict was INCONCLUSIVE on this busy host" >&2
  exit 77
fi
[ -s "$tmp/whole.txt" ] || fail "no testcase in the unsharded JUnit"
grep -q "zz-expected-fail	T4 within 1s	fail" "$tmp/merged.txt" ||
  fail "the failing testcase is not failing in the merged JUnit"
if ! diff -u "$tmp/whole.txt" "$tmp/merged.txt"; then
  fail "merged JUnit differs from the unsharded run"
fi
echo "ci_examples_test: $(wc -l <"$tmp/merged.txt") testcases in $(cut -f1 "$tmp/merged.txt" | sort -u | wc -l) testsuites agree"
