#!/usr/bin/env bash
# `npm run image:build`: builds the Dockerfile with buildah (no container engine) against the
# local base images of scripts/image/base-images.sh, and writes
#
#   dist/runtime-guard-image.tar       the image, an OCI archive (skopeo, podman, ctr import it)
#   dist/runtime-guard-image.cdx.json  its npm dependencies as a CycloneDX SBOM (npm sbom)
#
# then prints the image's size. When neither the build context, the Dockerfile nor the base
# images changed since the archive was written, it says so and keeps the archive.
#
# Environment: RUNTIME_GUARD_CACHE (default $HOME/.cache/runtime-guard), where the base images,
# buildah's storage and its layer cache live; IMAGE_STORAGE_DRIVER (overlay or vfs, see lib.sh).
#
# Usage: scripts/image/build.sh [--print-env]
#   --print-env  only print IMAGE_ARCHIVE=... and IMAGE_REF=... (no build)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/image/lib.sh
source scripts/image/lib.sh
# shellcheck source=scripts/k8s/lib.sh
source scripts/k8s/lib.sh

log() { printf '[image-build] %s\n' "$*" >&2; }

VERSION="$(npm pkg get version | tr -d '"')"
IMAGE_REF="runtime-guard:${VERSION}"
ARCHIVE="${PWD}/dist/runtime-guard-image.tar"
SBOM="${PWD}/dist/runtime-guard-image.cdx.json"
STAMP="${PWD}/dist/runtime-guard-image.inputs"

if [[ "${1:-}" == "--print-env" ]]; then
  printf 'IMAGE_ARCHIVE=%q\nIMAGE_REF=%q\n' "${ARCHIVE}" "${IMAGE_REF}"
  exit 0
fi

for tool in buildah dpkg-deb apt-get; do
  command -v "${tool}" >/dev/null 2>&1 || { log "${tool} not found: run scripts/image/install-tools.sh"; exit 1; }
done

START=$(date +%s)
eval "$(bash scripts/image/base-images.sh)"
log "base images ready ($(elapsed "${START}")): ${RUNTIME_IMAGE}, ${BUILD_IMAGE}"

# Everything the build reads: the Dockerfile, the context .dockerignore lets in, the bases.
inputs() {
  printf '%s\n%s\n' "${RUNTIME_IMAGE}" "${BUILD_IMAGE}"
  find Dockerfile .dockerignore package.json package-lock.json bin src -type f -print0 |
    sort -z | xargs -0 sha256sum
}
INPUTS="$(inputs | sha256sum | cut -d' ' -f1)"

lock_image_cache
# The archive's size is what a node pulls (compressed layers); unpacked is what it stores.
print_size() {
  local archive_bytes image_bytes
  archive_bytes=$(stat -c %s "${ARCHIVE}")
  image_bytes=$(buildah_ inspect --type image --format '{{.Manifest}}' "localhost/${IMAGE_REF}" |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
      console.log(JSON.parse(s).layers.reduce((sum, layer) => sum + layer.size, 0)))')
  printf 'image %s: %s MiB to pull (%s), %s MiB unpacked\n' "${IMAGE_REF}" \
    "$((archive_bytes / 1048576))" "${ARCHIVE#"${PWD}/"}" "$((image_bytes / 1048576))"
}
if [[ -f "${ARCHIVE}" && -f "${SBOM}" && "$(cat "${STAMP}" 2>/dev/null)" == "${INPUTS}" ]]; then
  log "up to date: ${ARCHIVE}"
  print_size
  exit 0
fi

mkdir -p dist
rm -f "${STAMP}"
# Where the registry is reached through a TLS-inspecting proxy, the host's npm trusts its CA
# (npm's cafile, NODE_EXTRA_CA_CERTS) and `npm ci` in the build must too: those certificates
# are mounted into the RUN steps with an npmrc naming them (mounts are not part of a layer).
registry_ca_mounts=()
npm_cafile="$(npm config get cafile)"
ca_files=()
for file in "${npm_cafile}" "${NODE_EXTRA_CA_CERTS:-}"; do
  if [[ -n "${file}" && "${file}" != null && -f "${file}" ]]; then ca_files+=("${file}"); fi
done
if [[ ${#ca_files[@]} -gt 0 ]]; then
  trust="$(mktemp -d)"
  trap 'rm -rf "${trust}"' EXIT
  cat "${ca_files[@]}" >"${trust}/registry-ca.crt"
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] && cat /etc/ssl/certs/ca-certificates.crt >>"${trust}/registry-ca.crt"
  printf 'cafile=/usr/local/etc/registry-ca.crt\n' >"${trust}/npmrc"
  registry_ca_mounts=(--volume "${trust}/registry-ca.crt:/usr/local/etc/registry-ca.crt:ro"
    --volume "${trust}/npmrc:/usr/local/etc/npmrc:ro")
fi

BUILD_START=$(date +%s)
# --isolation chroot: RUN steps need neither runc's namespaces nor a network setup; --layers
# keeps each step in the cache, so `npm ci` runs again only when the lock file changes.
buildah_ bud --isolation chroot --layers --pull=never --quiet "${registry_ca_mounts[@]}" \
  --build-arg "BUILD_IMAGE=${BUILD_IMAGE}" --build-arg "RUNTIME_IMAGE=${RUNTIME_IMAGE}" \
  --tag "localhost/${IMAGE_REF}" --file Dockerfile . >/dev/null
log "built in $(elapsed "${BUILD_START}")"

rm -f "${ARCHIVE}.tmp"
buildah_ push --quiet --format oci "localhost/${IMAGE_REF}" "oci-archive:${ARCHIVE}.tmp:${IMAGE_REF}"
mv "${ARCHIVE}.tmp" "${ARCHIVE}"
# From the lock file, which is what `npm ci` in the image installs. npm names the root
# component after the directory; the package's name is the one to report.
npm sbom --sbom-format cyclonedx --omit dev --package-lock-only |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const bom = JSON.parse(s); bom.metadata.component.name = process.argv[1];
    process.stdout.write(JSON.stringify(bom, null, 2) + "\n"); })' "$(npm pkg get name | tr -d '"')" >"${SBOM}.tmp"
mv "${SBOM}.tmp" "${SBOM}"
# Layers of old builds only take space; the step cache keeps the ones still in use.
buildah_ rmi --prune >/dev/null 2>&1 || true
printf '%s\n' "${INPUTS}" >"${STAMP}"

log "wrote ${ARCHIVE} and ${SBOM} in $(elapsed "${START}")"
print_size
