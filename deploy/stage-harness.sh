#!/usr/bin/env bash
# deploy/stage-harness.sh BUILD_DIR CONTEXT_DIR - fills CONTEXT_DIR/rootfs
# with what the ecsboot harness image holds (deploy/Containerfile.harness
# copies it as it is), for running `ecsboot run` in CI:
#   /usr/local/bin/ecsboot, ecsboot-init, ecsboot-standin (the app and
#   envoy stand-ins the runs start), ecsboot-health, and under
#   /usr/local/share the catalogue, the examples (with ci/) and the docs:
#   what `cmake --install BUILD_DIR --prefix /usr/local` installs, the
#   programs stripped
#   /bin/sh (dash), /bin/mkdir, /usr/bin/curl and the shared libraries of
#   all these programs, at the paths ldd names: the shell runs the
#   catalogue's CMD-SHELL health checks (which call curl) as ECS would, and
#   examples/ci/shard.sh and merge.sh (the Kubernetes Indexed Job computes
#   its shard in a shell); nothing else, no compiler
#   /etc/ssl/certs/ca-certificates.crt, /etc/passwd, /etc/group,
#   /etc/nsswitch.conf (as the ecsboot-init image), /tmp and /work (1777)
# BUILD_DIR must be fully built (the install takes the --help texts too).
# Every input must exist; anything missing is an error, never a smaller
# image.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: deploy/stage-harness.sh BUILD_DIR CONTEXT_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build=$1
ctx=$2
ca=/etc/ssl/certs/ca-certificates.crt
tools=(/bin/dash /bin/mkdir /usr/bin/curl)
for f in "${tools[@]}"; do
  [ -x "$f" ] || { echo "stage-harness.sh: $f: missing (apt-get install dash coreutils curl)" >&2; exit 1; }
done
[ -r "$ca" ] || { echo "stage-harness.sh: $ca: missing (apt-get install ca-certificates)" >&2; exit 1; }

root=$ctx/rootfs
rm -rf "$root"
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/work" "$root/bin" "$root/usr/bin"
chmod 1777 "$root/tmp" "$root/work"
DESTDIR=$root cmake --install "$build" --prefix /usr/local --strip \
  >"$ctx/install.log" ||
  { cat "$ctx/install.log" >&2; echo "stage-harness.sh: cmake --install $build failed" >&2; exit 1; }
bin=$root/usr/local/bin
for p in ecsboot ecsboot-init ecsboot-standin ecsboot-health; do
  [ -x "$bin/$p" ] || { echo "stage-harness.sh: $bin/$p was not installed" >&2; exit 1; }
done
[ -d "$root/usr/local/share/ecsboot/scenarios/catalog" ] ||
  { echo "stage-harness.sh: the catalogue was not installed" >&2; exit 1; }
if ldd "$bin/ecsboot-health" >/dev/null 2>&1; then
  echo "stage-harness.sh: $bin/ecsboot-health is dynamically linked; it must be static" >&2
  exit 1
fi
cp /bin/dash "$root/bin/sh"
cp /bin/mkdir "$root/bin/mkdir"
cp /usr/bin/curl "$root/usr/bin/curl"
cp "$ca" "$root$ca"
cp "$here/rootfs/etc/passwd" "$here/rootfs/etc/group" \
  "$here/rootfs/etc/nsswitch.conf" "$root/etc/"
chmod 0644 "$root"/etc/passwd "$root"/etc/group "$root"/etc/nsswitch.conf "$root$ca"

# shellcheck source=deploy/libs.sh
. "$here/libs.sh"
n=$(copy_libs "$root" "$bin/ecsboot" "$bin/ecsboot-init" "$bin/ecsboot-standin" \
  "${tools[@]}")
echo "stage-harness.sh: $root: ecsboot, ecsboot-init, ecsboot-standin, ecsboot-health, the" \
  "catalogue, sh, mkdir, curl, $n libraries, $(du -sh "$root" | cut -f1) on disk" >&2
