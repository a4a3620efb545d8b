#!/usr/bin/env bash
# valgrind-units.sh BUILD_DIR - every cmocka unit test (tests/test_*.c)
# under valgrind's memcheck: any error or definite/indirect leak fails.
# End-to-end, interop and catalogue tests are left to the ASan build (they
# run child processes, whose memory the sanitizers check in their own
# build). Prints one line per test and a total.
set -euo pipefail
B=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind-units: valgrind not installed" >&2; exit 2; }
fail=0
n=0
start=$(date +%s)
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  n=$((n + 1))
  log=$(mktemp)
  if (cd "$B/tests" && valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --track-fds=no \
        "./$name" >"$log" 2>&1); then
    echo "valgrind ok   $name"
  else
    echo "valgrind FAIL $name"
    tail -40 "$log"
    fail=$((fail + 1))
  fi
  rm -f "$log"
done
echo "valgrind-units: $n tests, $fail failed, $(( $(date +%s) - start ))s"
[ "$fail" -eq 0 ]
