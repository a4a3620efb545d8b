#!/usr/bin/env bash
# Installs the Debian packages ecsboot needs, and only those that are
# missing (so a second run does nothing and needs no network).
#   scripts/deps.sh           build + run (the demo)
#   scripts/deps.sh --test    also what the test suite drives (real clients)
#   scripts/deps.sh --ci      also the CI-only tools (clang-format, valgrind)
#   scripts/deps.sh --image   also buildah, for `./dev image` when no Docker
#                             daemon answers (never for demo or check)
# Works as root or through sudo.
set -euo pipefail

build_pkgs=(gcc libc6-dev make cmake pkg-config libcurl4-openssl-dev libssl-dev libcjson-dev
            libmicrohttpd-dev libcmocka-dev)
# Test-only: real clients (python3-consul, awscli), headless Chromium for the
# HTML report test, xmllint for the JUnit schema, zlib to decode screenshots,
# the openssl CLI for a throwaway CA in the TLS test.
# Real clients for interop tests: python3-consul (Consul API client),
# awscli (the AWS CLI against fake-ecs).
test_pkgs=(python3-consul awscli chromium chromium-driver libxml2-utils zlib1g-dev
           openssl)
ci_pkgs=(clang-format valgrind clang libclang-rt-dev)
# The image build without a Docker daemon: buildah (rootless, no daemon;
# --storage-driver vfs --isolation chroot) and what it needs to pull nothing;
# curl, which the harness image carries for the catalogue's CMD-SHELL checks.
image_pkgs=(buildah curl)

want=("${build_pkgs[@]}")
for arg in "$@"; do
  case "$arg" in
  --test) want+=("${test_pkgs[@]}") ;;
  --ci) want+=("${test_pkgs[@]}" "${ci_pkgs[@]}") ;;
  --image) want+=("${image_pkgs[@]}") ;;
  *) echo "deps.sh: unknown option $arg (use --test, --ci or --image)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "deps.sh: missing packages: ${missing[*]}; run as root or install sudo" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
