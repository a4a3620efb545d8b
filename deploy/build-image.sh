#!/usr/bin/env bash
# deploy/build-image.sh [--harness] BUILD_DIR OUT - the ecsboot-init image
# from the programs built in BUILD_DIR (stage.sh, then deploy/Containerfile)
# or, with --harness, the ecsboot harness image (stage-harness.sh, then
# deploy/Containerfile.harness; BUILD_DIR fully built), written to OUT as
# an OCI archive. `./dev image` and the image tests run it. The context is
# staged in BUILD_DIR/image (BUILD_DIR/image-harness): one build at a time
# per BUILD_DIR.
#
# With `docker build` when a Docker daemon answers, else with buildah
# (--storage-driver vfs --isolation chroot: no daemon, no overlay mounts,
# works unprivileged and inside a container). Exit 3 when neither can
# build, with the reason; 1 on any other failure.
# ECSB_BUILDAH_ROOT=DIR: buildah keeps its images under DIR (--root
# DIR/root --runroot DIR/run) instead of the user's store, so that builds
# and tests side by side never replace each other's tags.
set -euo pipefail
name=ecsboot-init stage=stage.sh file=Containerfile ctx=image
if [ "${1:-}" = --harness ]; then
  name=ecsboot stage=stage-harness.sh file=Containerfile.harness ctx=image-harness
  shift
fi
if [ $# -ne 2 ]; then
  echo "usage: deploy/build-image.sh [--harness] BUILD_DIR OUT" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build=$1
out=$2
version=$("$build/core/ecsboot-init" version | awk '{print $2}')
tag=$name:$version
ctx=$build/$ctx
"$here/$stage" "$build" "$ctx"
mkdir -p "$(dirname "$out")"
rm -f "$out"
if docker info >/dev/null 2>&1; then
  docker build -q -f "$here/$file" --build-arg VERSION="$version" \
    -t "$tag" "$ctx" >/dev/null
  # Docker 25 and later write an OCI image layout into the archive.
  docker save -o "$out" "$tag"
  echo "build-image.sh: built $tag with docker" >&2
elif command -v buildah >/dev/null 2>&1; then
  buildah=(buildah --storage-driver vfs)
  if [ -n "${ECSB_BUILDAH_ROOT:-}" ]; then
    buildah+=(--root "$ECSB_BUILDAH_ROOT/root" --runroot "$ECSB_BUILDAH_ROOT/run")
  fi
  # The previous build of this tag would stay behind as a nameless image;
  # by ID, so that the names an import from the archive added go too.
  for id in $("${buildah[@]}" images -q "$tag" 2>/dev/null); do
    "${buildah[@]}" rmi -f "$id" >/dev/null 2>&1 || true
  done
  "${buildah[@]}" bud -q --isolation chroot -f "$here/$file" \
    --build-arg VERSION="$version" -t "$tag" "$ctx" >/dev/null
  "${buildah[@]}" push -q "$tag" "oci-archive:$out:$tag"
  echo "build-image.sh: built $tag with buildah" >&2
else
  echo "build-image.sh: no Docker daemon answers (docker info failed) and" \
    "buildah is not installed (scripts/deps.sh --image installs it)" >&2
  exit 3
fi
echo "build-image.sh: $tag in $out ($(stat -c %s "$out") bytes)" >&2
