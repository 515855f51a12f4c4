#!/usr/bin/env bash
# Installs what building and running the image needs without a container engine, from Debian's
# packages: buildah (builds the Dockerfile), runc (runs the image, as containerd would), umoci
# (unpacks the image into a bundle), with the runtime's default seccomp profile that comes
# with buildah (containers-common). Does nothing when they are all there.
#
# Usage: scripts/image/install-tools.sh   (as root, or the packages must already be installed)
set -euo pipefail

log() { printf '[image-tools] %s\n' "$*" >&2; }

PROFILE=/usr/share/containers/seccomp.json
missing=()
for tool in buildah runc umoci; do
  command -v "${tool}" >/dev/null 2>&1 || missing+=("${tool}")
done
[[ -f "${PROFILE}" ]] || missing+=(golang-github-containers-common)

if [[ ${#missing[@]} -eq 0 ]]; then
  log "present: $(buildah --version), $(runc --version | head -1), $(umoci --version)"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  log "missing ${missing[*]}: run as root, or apt-get install ${missing[*]}"
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || { log "missing ${missing[*]} and no apt-get to install them"; exit 1; }

log "installing ${missing[*]}"
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
# A fresh machine may have no package lists yet.
install || { apt-get update -q >&2 && install; }
log "installed: $(buildah --version), $(runc --version | head -1), $(umoci --version)"
