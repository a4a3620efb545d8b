#!/usr/bin/env bash
# install_test.sh BUILD_DIR - `cmake --install` into a temporary prefix,
# then, from another folder, the installed `ecsboot run`: the built-in
# scenario and an installed catalogue scenario (whose task definition is
# found through the installed examples), with the installed ecsboot-init
# and ecsboot-standin. Both are wrapped so the test sees they were the
# ones run.
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"

fail() { echo "install_test: $*" >&2; exit 1; }
for f in bin/ecsboot bin/ecsboot-init bin/ecsboot-standin bin/ecsboot-health share/ecsboot/scenarios/catalog/t0-t4.json \
         share/ecsboot/examples/mesh-task-taskdef.json \
         share/doc/ecsboot/help/ecsboot-run.txt \
         share/doc/ecsboot/help/ecsboot-init-mesh-init.txt \
         share/doc/ecsboot/architecture.md share/doc/ecsboot/README.md; do
  [ -e "$prefix/$f" ] || fail "$f not installed"
done
grep -q -- "--time-scale" "$prefix/share/doc/ecsboot/help/ecsboot-run.txt" ||
  fail "ecsboot-run.txt is not run's --help"

mv "$prefix/bin/ecsboot-init" "$prefix/bin/ecsboot-init.real"
cat >"$prefix/bin/ecsboot-init" <<WRAP
#!/bin/sh
echo "\$1" >>"$tmp/init-calls"
exec "$prefix/bin/ecsboot-init.real" "\$@"
WRAP
chmod +x "$prefix/bin/ecsboot-init"
mv "$prefix/bin/ecsboot-standin" "$prefix/bin/ecsboot-standin.real"
cat >"$prefix/bin/ecsboot-standin" <<WRAP
#!/bin/sh
echo "\$1" >>"$tmp/standin-calls"
exec "$prefix/bin/ecsboot-standin.real" "\$@"
WRAP
chmod +x "$prefix/bin/ecsboot-standin"

mkdir "$tmp/elsewhere"
cd "$tmp/elsewhere"
"$prefix/bin/ecsboot" version | grep -q '^ecsboot ' || fail "ecsboot version"
"$prefix/bin/ecsboot" run --no-progress --out out/builtin >"$tmp/run1.log" 2>&1 ||
  { rc=$?; cat "$tmp/run1.log"; [ $rc -eq 4 ] && exit 77; fail "installed built-in run exited $rc"; }
[ -s out/builtin/events.jsonl ] || fail "no event log under the working folder"
# Its init containers, app and proxy come from the installed ecsboot-init
# and ecsboot-standin: started as their fork servers (serve-forks), or
# each exec'd with --exec-each.
grep -q "^serve-forks$" "$tmp/init-calls" || fail "the installed ecsboot-init was not used"
grep -q "^serve-forks$" "$tmp/standin-calls" ||
  fail "the installed ecsboot-standin was not started as the stand-ins' fork server"
"$prefix/bin/ecsboot" run --no-progress --out out/late \
  "$prefix/share/ecsboot/scenarios/catalog/server-late.json" >"$tmp/run2.log" 2>&1 ||
  { rc=$?; cat "$tmp/run2.log"; [ $rc -eq 4 ] && exit 77; fail "installed server-late exited $rc"; }
: >"$tmp/init-calls"
: >"$tmp/standin-calls"
"$prefix/bin/ecsboot" run --exec-each --no-progress --out out/exec >"$tmp/run3.log" 2>&1 ||
  { rc=$?; cat "$tmp/run3.log"; [ $rc -eq 4 ] && exit 77; fail "installed --exec-each run exited $rc"; }
grep -q "^discover-servers$" "$tmp/init-calls" && ! grep -q "^serve-forks$" "$tmp/init-calls" ||
  fail "--exec-each did not exec the installed ecsboot-init for each container"
grep -q "^app$" "$tmp/standin-calls" && grep -q "^envoy$" "$tmp/standin-calls" &&
  ! grep -q "^serve-forks$" "$tmp/standin-calls" ||
  fail "--exec-each did not exec the installed ecsboot-standin for the app and the proxy"
grep -q '"spawn":"exec"' out/exec/events.jsonl || fail "--exec-each: run.start does not say spawn exec"
echo "install_test: installed under $prefix; all three runs passed from $tmp/elsewhere"
