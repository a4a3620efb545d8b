#!/usr/bin/env bash
# deploy/stage.sh BUILD_DIR CONTEXT_DIR - fills CONTEXT_DIR/rootfs with what
# the ecsboot-init image holds (deploy/Containerfile copies it as it is):
#   /ecsboot-init, /ecsboot-health   from BUILD_DIR/core, stripped
#   the shared libraries ecsboot-init needs, at the paths ldd names
#   /etc/ssl/certs/ca-certificates.crt   Debian's CA bundle (libcurl's default)
#   /etc/passwd, /etc/group, /etc/nsswitch.conf   from deploy/rootfs
#   /tmp (1777)
# Every input must exist; anything missing is an error, never a smaller image.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: deploy/stage.sh BUILD_DIR CONTEXT_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build=$1
ctx=$2
init=$build/core/ecsboot-init
health=$build/core/ecsboot-health
ca=/etc/ssl/certs/ca-certificates.crt
for f in "$init" "$health"; do
  [ -x "$f" ] || { echo "stage.sh: $f: no such program (build it first)" >&2; exit 1; }
done
[ -r "$ca" ] || { echo "stage.sh: $ca: missing (apt-get install ca-certificates)" >&2; exit 1; }
# ecsboot-health goes where no library is: it must need none.
if ldd "$health" >/dev/null 2>&1; then
  echo "stage.sh: $health is dynamically linked; it must be static" >&2
  exit 1
fi

root=$ctx/rootfs
rm -rf "$root"
mkdir -p "$root/etc/ssl/certs" "$root/tmp"
chmod 1777 "$root/tmp"
strip -o "$root/ecsboot-init" "$init"
strip -o "$root/ecsboot-health" "$health"
chmod 0755 "$root/ecsboot-init" "$root/ecsboot-health"
cp "$ca" "$root$ca"
cp "$here/rootfs/etc/passwd" "$here/rootfs/etc/group" \
  "$here/rootfs/etc/nsswitch.conf" "$root/etc/"
chmod 0644 "$root"/etc/passwd "$root"/etc/group "$root"/etc/nsswitch.conf "$root$ca"

# shellcheck source=deploy/libs.sh
. "$here/libs.sh"
n=$(copy_libs "$root" "$init")
echo "stage.sh: $root: ecsboot-init, ecsboot-health, $n libraries," \
  "$(du -sh "$root" | cut -f1) on disk" >&2
