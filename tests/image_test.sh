#!/usr/bin/env bash
# image_test.sh SOURCE_DIR BUILD_DIR VERSION - builds the ecsboot-init image
# from this build's programs (deploy/build-image.sh, as `./dev image` does),
# then checks the OCI archive: `ecsboot-init --version` run inside the image
# prints VERSION, ecsboot-health runs there too, mesh-init --copy-self
# copies /ecsboot-health into a mounted volume as user 65532, the image's
# entrypoint is /ecsboot-init, and it holds the CA bundle and no shell.
# Exit 77 (skipped) when neither docker nor buildah can build or run it,
# with the reason.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
version=$3
tmp=$(mktemp -d)
ctr=
cleanup() {
  [ -n "$ctr" ] && buildah --storage-driver vfs rm "$ctr" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "image_test: $*" >&2; exit 1; }
skip() { echo "image_test: SKIPPED: $*" >&2; exit 77; }

if docker info >/dev/null 2>&1; then
  tool=docker
elif command -v buildah >/dev/null 2>&1 &&
  buildah --storage-driver vfs images >/dev/null 2>"$tmp/buildah.err"; then
  tool=buildah
elif command -v buildah >/dev/null 2>&1; then
  skip "no Docker daemon answers and buildah cannot run here: $(head -c 300 "$tmp/buildah.err")"
else
  skip "no Docker daemon answers (docker info failed) and buildah is not" \
    "installed (scripts/deps.sh --image)"
fi

out=$tmp/ecsboot-init.oci.tar
"$src/deploy/build-image.sh" "$build" "$out" 2>"$tmp/build.log" ||
  { cat "$tmp/build.log" >&2; fail "deploy/build-image.sh failed"; }
tag=ecsboot-init:$version

# The archive: one OCI index, its manifest, config and layer.
mkdir "$tmp/oci"
tar -xf "$out" -C "$tmp/oci"
read -r user entry layer < <(python3 - "$tmp/oci" <<'PY'
import json, os, sys
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs", *dg.split(":"))
idx = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blob(idx["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))["config"]
print(cfg.get("User", ""), ",".join(cfg.get("Entrypoint") or []),
      blob(man["layers"][-1]["digest"]))
PY
)
[ "$user" = "65532:65532" ] || fail "image user is '$user', expected 65532:65532"
[ "$entry" = "/ecsboot-init" ] || fail "entrypoint is '$entry', expected /ecsboot-init"
tar -tzf "$layer" | sed 's|^\./||' | sort >"$tmp/files"
for f in ecsboot-init ecsboot-health etc/ssl/certs/ca-certificates.crt etc/passwd; do
  grep -qx "$f" "$tmp/files" || fail "the image has no /$f"
done
if grep -Eq '(^|/)(sh|bash|dash|busybox)$' "$tmp/files"; then
  fail "the image has a shell: $(grep -E '(^|/)(sh|bash|dash|busybox)$' "$tmp/files" | head -1)"
fi
tar -xzOf "$layer" etc/passwd 2>/dev/null | grep -q ':65532:65532:' ||
  tar -xzOf "$layer" ./etc/passwd | grep -q ':65532:65532:' ||
  fail "/etc/passwd has no user 65532"

# Run it from the archive, as the image's user. mesh-init --copy-self
# finds /ecsboot-health beside /ecsboot-init and copies it into a mounted
# volume before it gives up for want of task metadata (exit 1).
vol=$tmp/vol
mkdir -m 0777 "$vol"
copy=(mesh-init -envoy-bootstrap-file=/consul/envoy-bootstrap.json
  --copy-self=/consul/ecsboot-health --timeout=1s)
case $tool in
docker)
  docker load -q -i "$out" >/dev/null
  got=$(docker run --rm "$tag" --version)
  health=$(docker run --rm --entrypoint /ecsboot-health "$tag" --version)
  docker run --rm -v "$vol:/consul" "$tag" "${copy[@]}" >"$tmp/copy.log" 2>&1 || true
  ;;
buildah)
  b=(buildah --storage-driver vfs)
  ctr=$("${b[@]}" from -q "oci-archive:$out") || fail "buildah from the archive"
  got=$("${b[@]}" run --isolation chroot "$ctr" -- /ecsboot-init --version)
  health=$("${b[@]}" run --isolation chroot "$ctr" -- /ecsboot-health --version)
  "${b[@]}" run --isolation chroot -v "$vol:/consul" "$ctr" -- /ecsboot-init \
    "${copy[@]}" >"$tmp/copy.log" 2>&1 || true
  ;;
esac
grep -q 'msg="copied ecsboot-health" file=/consul/ecsboot-health from=/ecsboot-health' \
  "$tmp/copy.log" || { cat "$tmp/copy.log" >&2; fail "mesh-init --copy-self in the image did not copy /ecsboot-health"; }
tar -xzOf "$layer" ecsboot-health 2>/dev/null >"$tmp/image-health" ||
  tar -xzOf "$layer" ./ecsboot-health >"$tmp/image-health"
cmp -s "$tmp/image-health" "$vol/ecsboot-health" ||
  fail "the copy in the volume differs from the image's /ecsboot-health"
[ "$(stat -c %u "$vol/ecsboot-health")" = 65532 ] ||
  fail "the copy is owned by uid $(stat -c %u "$vol/ecsboot-health"), not the image's user 65532"
[ "$got" = "ecsboot-init $version" ] ||
  fail "ecsboot-init --version in the image printed '$got', expected 'ecsboot-init $version'"
[ "$health" = "ecsboot-health $version" ] ||
  fail "ecsboot-health --version in the image printed '$health'"
echo "image_test: $tag built with $tool; $(stat -c %s "$out") bytes as an OCI" \
  "archive; ecsboot-init and ecsboot-health run in it, and mesh-init" \
  "--copy-self copies /ecsboot-health into a volume"
