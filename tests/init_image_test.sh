#!/usr/bin/env bash
# init_image_test.sh SOURCE_DIR BUILD_DIR - `ecsboot run --init-bin ROOT`
# replays scenarios with the ecsboot-init that ships: the image is built
# from this build's programs (deploy/build-image.sh) and its OCI archive
# unpacked into ROOT; the runner starts ROOT/ecsboot-init through ROOT's own
# loader with ROOT's libraries (scenarios/image_root.c). Checks:
#   - the catalogue's t0-t4 passes and reaches T4, and the loader that ran
#     every ecsboot-init was ROOT's, with ROOT's library folders (the loader
#     is wrapped to record its arguments);
#   - with those arguments, every library ecsboot-init loads is ROOT's
#     (ld.so --list), none the host's;
#   - graceful-stop-entrypoint passes: mesh-init --copy-self finds
#     ROOT/ecsboot-health beside the program although /proc/self/exe is
#     the loader, and envoy-entrypoint runs from ROOT;
#   - a root without ecsboot-init is refused (exit 2, the path named) with
#     no run folder left behind.
# ECSB_TEST_TIME_SCALE (set for sanitized builds by tests/init.cmake, as
# the catalogue's tests slow their scenarios) is passed as --time-scale.
# Exit 77 (skipped) when neither docker nor buildah can build the image.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "init_image_test: $*" >&2; exit 1; }
export ECSB_BUILDAH_ROOT=$build/buildah

"$src/deploy/build-image.sh" "$build" "$tmp/init.oci.tar" 2>"$tmp/build.log" || {
  rc=$?
  cat "$tmp/build.log" >&2
  [ $rc -eq 3 ] && { echo "init_image_test: SKIPPED: no docker or buildah to build the image" >&2; exit 77; }
  fail "deploy/build-image.sh failed"
}
root=$tmp/root
python3 "$src/deploy/oci-root.py" "$tmp/init.oci.tar" "$root" >/dev/null ||
  fail "could not unpack the image"

# The loader the program names (PT_INTERP), wrapped so the runs show it
# was the one started, with which arguments.
interp=$(python3 - "$root/ecsboot-init" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
phoff, = struct.unpack_from("<Q", d, 0x20)
phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
for i in range(phnum):
    o = phoff + i * phentsize
    ptype, = struct.unpack_from("<I", d, o)
    if ptype == 3:  # PT_INTERP
        off, = struct.unpack_from("<Q", d, o + 8)
        size, = struct.unpack_from("<Q", d, o + 32)
        print(d[off:off + size].rstrip(b"\0").decode())
PY
)
[ -n "$interp" ] && [ -f "$root$interp" ] ||
  fail "the image's ecsboot-init names the loader '$interp', not in the image"
mv "$root$interp" "$root$interp.real"
cat >"$root$interp" <<WRAP
#!/bin/sh
echo "\$*" >>"$tmp/loader-calls"
exec "$root$interp.real" "\$@"
WRAP
chmod +x "$root$interp"

# A run passes, or is INCONCLUSIVE (exit 4: no expectation failed, but this
# host's load left a deadline too close to call; what is checked here is
# which programs ran, never how fast), and its application task reached T4.
replay() { # NAME SCENARIO
  local rc=0
  "$build/cli/ecsboot" run --no-progress -q --init-bin "$root" --out "$1" \
    ${ECSB_TEST_TIME_SCALE:+--time-scale "$ECSB_TEST_TIME_SCALE"} \
    "$2" >"$1.log" 2>&1 || rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 4 ]; then
    cat "$1.log" "$1/summary.txt" >&2 || true
    fail "$1 with --init-bin $root exited $rc"
  fi
  python3 - "$1/report.json" <<'PY' || fail "$1's report: a failure, or T4 not reached"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
app = [t for t in run["tasks"] if not t.get("server")]
if run["summary"]["failed"]:
    sys.exit(f"init_image_test: {run['summary']['failed']} expectation(s) failed")
if not app or any("T4" not in t["milestones_us"] for t in app):
    sys.exit("init_image_test: milestones " + str([t["milestones_us"] for t in app]))
PY
}

cd "$tmp"
replay t0-t4 "$src/scenarios/catalog/t0-t4.json"
[ -s loader-calls ] || fail "the image's loader $interp never ran"
for cmd in discover-servers mesh-init; do
  grep -q -- "--library-path $root/.* $root/ecsboot-init $cmd " loader-calls ||
    { cat loader-calls >&2; fail "ecsboot-init $cmd was not run by the image's loader from $root"; }
done
# ecsboot-init's waits are scaled as for the host's program: t0-t4 runs at
# time_scale 0.01 (or the one given), so discover-servers' first backoff
# ceiling (1s) is 10ms.
poll=$(awk -v s="${ECSB_TEST_TIME_SCALE:-0.01}" 'BEGIN {printf "%dms", 1000 * s + 0.5}')
grep -q -- "$root/ecsboot-init discover-servers .*--poll-interval $poll" loader-calls ||
  { cat loader-calls >&2; fail "discover-servers from the image root was not given scaled waits"; }
libs=$(sed -n "s|.*--library-path \\([^ ]*\\) $root/ecsboot-init .*|\\1|p" loader-calls | head -1)
"$root$interp.real" --inhibit-cache --library-path "$libs" --list \
  "$root/ecsboot-init" >list.txt || fail "ld.so --list on the image's ecsboot-init"
awk '$2 == "=>" {print $3}' list.txt >resolved.txt
[ -s resolved.txt ] || fail "ld.so --list names no library"
if grep -v "^$root/" resolved.txt >outside.txt; then
  fail "libraries loaded from outside the image root: $(tr '\n' ' ' <outside.txt)"
fi

replay entry "$src/scenarios/catalog/graceful-stop-entrypoint.json"
grep -q "msg=\"copied ecsboot-health\" .* from=$root/ecsboot-health" \
  entry/tasks/*/logs/mesh-init.log ||
  fail "mesh-init --copy-self did not copy the image's ecsboot-health"
grep -q -- "$root/ecsboot-init envoy-entrypoint" loader-calls ||
  fail "envoy-entrypoint was not run from the image"

mkdir empty
if "$build/cli/ecsboot" run --init-bin "$tmp/empty" --out refused >refused.log 2>&1; then
  fail "--init-bin on a folder without ecsboot-init was accepted"
else
  rc=$?
fi
[ $rc -eq 2 ] || fail "--init-bin on an empty folder exited $rc, expected 2"
grep -q "image root $tmp/empty: no program: $tmp/empty/ecsboot-init" refused.log ||
  { cat refused.log >&2; fail "the refusal does not name the missing program"; }
[ ! -e refused ] || fail "a refused run left its folder behind"
echo "init_image_test: t0-t4 and graceful-stop-entrypoint reached T4, no expectation failed," \
  "with the image's ecsboot-init, loader ($interp) and $(wc -l <resolved.txt)" \
  "libraries, all from the unpacked image"
