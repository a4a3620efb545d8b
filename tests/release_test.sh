#!/usr/bin/env bash
# release_test.sh BUILD_DIR - the release tarball as `./dev release` makes
# it (cpack -G TGZ): one top folder ecsboot-<version>-Linux-<arch>/ holding
# the programs (ecsboot, ecsboot-init, ecsboot-standin, ecsboot-health),
# the catalogue, the examples (with the CI scripts) and the docs; unpacked
# elsewhere, its ecsboot runs a catalogue scenario with its own
# ecsboot-init.
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "release_test: $*" >&2; exit 1; }
command -v cpack >/dev/null || { echo "release_test: no cpack" >&2; exit 77; }
(cd "$build" && cpack -G TGZ -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
set -- "$tmp"/pkg/ecsboot-*-Linux-*.tar.gz
[ -f "$1" ] || fail "no ecsboot-*-Linux-*.tar.gz in $(ls "$tmp/pkg")"
tarball=$1
top=$(basename "$tarball" .tar.gz)
tar -tzf "$tarball" >"$tmp/list"
for f in bin/ecsboot bin/ecsboot-init bin/ecsboot-standin bin/ecsboot-health \
         share/ecsboot/scenarios/catalog/t0-t4.json \
         share/ecsboot/examples/mesh-task-taskdef.json \
         share/ecsboot/examples/ci/shard.sh share/ecsboot/examples/ci/merge.sh \
         share/doc/ecsboot/README.md share/doc/ecsboot/architecture.md \
         share/doc/ecsboot/help/ecsboot-run.txt; do
  grep -qx "$top/$f" "$tmp/list" || fail "$f is not in $top/"
done
if grep -v "^$top/" "$tmp/list" | grep -q .; then
  fail "entries outside $top/"
fi
mkdir "$tmp/unpacked"
tar -xzf "$tarball" -C "$tmp/unpacked"
root=$tmp/unpacked/$top
[ -x "$root/share/ecsboot/examples/ci/shard.sh" ] || fail "shard.sh is not executable"
cd "$tmp"
"$root/bin/ecsboot" run --no-progress -q --out "$tmp/run" \
  "$root/share/ecsboot/scenarios/catalog/t0-t4.json" >"$tmp/run.log" 2>&1 || {
  rc=$?
  [ $rc = 4 ] || { cat "$tmp/run.log" >&2; fail "the unpacked ecsboot run exited $rc"; }
}
echo "release_test: $(basename "$tarball"), $(wc -l <"$tmp/list") entries, $(du -h "$tarball" | cut -f1)"
