#!/usr/bin/env bash
# image_test.sh SOURCE_DIR BUILD_DIR VERSION - builds the ecsboot-init image
# from this build's programs (deploy/build-image.sh, as `./dev image` does),
# then checks the OCI archive: `ecsboot-init --version` run inside the image
# prints VERSION, ecsboot-health runs there too, mesh-init --copy-self
# copies /ecsboot-health into a mounted volume as user 65532, the image's
# entrypoint is /ecsboot-init, and it holds the CA bundle and no shell.
# Then, from inside the image, discover-servers and mesh-init against
# `ecsboot serve`'s fakes on loopback (fake-ecs with SigV4 checked, the
# fake Consul agent): the server IP file holds the Consul server task's
# address, and the Envoy bootstrap is JSON naming the mesh task's service
# and proxy, which the agent has registered.
# Exit 77 (skipped) when neither docker nor buildah can build or run it,
# with the reason.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
version=$3
tmp=$(mktemp -d)
ctr=
serve=
# A buildah store of this build's own (deploy/build-image.sh honours
# ECSB_BUILDAH_ROOT), so tests of several builds never share tags.
export ECSB_BUILDAH_ROOT=$build/buildah
b=(buildah --storage-driver vfs --root "$ECSB_BUILDAH_ROOT/root"
  --runroot "$ECSB_BUILDAH_ROOT/run")
cleanup() {
  [ -n "$serve" ] && kill "$serve" 2>/dev/null && wait "$serve" 2>/dev/null
  [ -n "$ctr" ] && "${b[@]}" rm "$ctr" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "image_test: $*" >&2; exit 1; }
skip() { echo "image_test: SKIPPED: $*" >&2; exit 77; }

if docker info >/dev/null 2>&1; then
  tool=docker
elif command -v buildah >/dev/null 2>&1 &&
  "${b[@]}" images >/dev/null 2>"$tmp/buildah.err"; then
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
read -r user entry layer < <(python3 "$src/tests/oci_config.py" "$tmp/oci")
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

# discover-servers and mesh-init from inside the image, against `ecsboot
# serve` on loopback: fake-ecs (SigV4 checked) with a Consul server task and
# the mesh task of examples/ RUNNING, and the fake Consul server and agent.
"$build/cli/ecsboot" serve --consul-server 127.0.0.1:0 \
  --consul-agent 127.0.0.1:0 >"$tmp/serve.out" 2>&1 &
serve=$!
for _ in $(seq 200); do # the banner ends with this line; 20 s at most
  grep -q '^Press Ctrl-C' "$tmp/serve.out" && break
  kill -0 "$serve" 2>/dev/null || break
  sleep 0.1
done
grep -q '^Press Ctrl-C' "$tmp/serve.out" ||
  { cat "$tmp/serve.out" >&2; fail "ecsboot serve did not start"; }
api=$(awk '/^fake-ecs API/ {print $3}' "$tmp/serve.out")
md=$(awk '/^metadata\/credentials/ {print $2}' "$tmp/serve.out")
agent=$(awk '/^fake Consul agent:/ {print $4}' "$tmp/serve.out")
read -r key secret < <(sed -n \
  's/.*export AWS_ACCESS_KEY_ID=\([^ ]*\) AWS_SECRET_ACCESS_KEY=\([^ ]*\).*/\1 \2/p' \
  "$tmp/serve.out")
command -v aws >/dev/null ||
  skip "no AWS CLI to set up the tasks with (scripts/deps.sh --test installs awscli)"
python3 "$src/tests/image_ecs.py" "$api" "$key" "$secret" us-east-1 \
  "$src/examples/mesh-task-taskdef.json" >"$tmp/tasks" ||
  fail "could not set up the tasks in ecsboot serve"
read -r server_ip mid task_id <"$tmp/tasks"

mesh=$tmp/mesh
mkdir -m 0777 "$mesh"
in_image() { # ENV=VALUE... -- ecsboot-init arguments
  local envs=()
  while [ "$1" != -- ]; do
    envs+=(-e "$1")
    shift
  done
  shift
  case $tool in
  docker) docker run --rm --network host -v "$mesh:/consul" "${envs[@]}" \
    "$tag" "$@" ;;
  buildah) "${b[@]}" run --isolation chroot --network host \
    -v "$mesh:/consul" "${envs[@]}" "$ctr" -- /ecsboot-init "$@" ;;
  esac
}
in_image AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  AWS_REGION=us-east-1 AWS_ENDPOINT_URL_ECS="$api" -- \
  discover-servers --family consul-server --cluster default \
  -out=/consul/server-ip --timeout=20s >"$tmp/discover.log" 2>&1 ||
  { cat "$tmp/discover.log" >&2; fail "discover-servers in the image failed"; }
[ "$(cat "$mesh/server-ip")" = "$server_ip" ] ||
  fail "discover-servers wrote '$(cat "$mesh/server-ip")' to" \
    "/consul/server-ip, expected the server task's $server_ip"
in_image ECS_CONTAINER_METADATA_URI_V4="$md/v4/$mid" \
  CONSUL_HTTP_ADDR="$agent" -- \
  mesh-init -envoy-bootstrap-file=/consul/envoy-bootstrap.json -port=9090 \
  -upstreams=backend:1234 --timeout=20s >"$tmp/mesh.log" 2>&1 ||
  { cat "$tmp/mesh.log" >&2; fail "mesh-init in the image failed"; }
python3 "$src/tests/image_bootstrap_check.py" "$mesh/envoy-bootstrap.json" \
  web "web-$task_id" "$agent" ||
  fail "the Envoy bootstrap mesh-init wrote in the image is wrong"

echo "image_test: $tag built with $tool; $(stat -c %s "$out") bytes as an OCI" \
  "archive; ecsboot-init and ecsboot-health run in it, mesh-init" \
  "--copy-self copies /ecsboot-health into a volume, and discover-servers" \
  "and mesh-init in it wrote the server IP ($server_ip) and web-$task_id's" \
  "Envoy bootstrap against ecsboot serve"
