#!/usr/bin/env bash
# Builds the chart tools, helm and kubeconform, from their Go modules into a
# cache outside the repository, keyed by version:
#
#   ${RUNTIME_GUARD_CACHE:-$HOME/.cache/runtime-guard}/tools/helm-<version>/bin/helm
#   ${RUNTIME_GUARD_CACHE:-$HOME/.cache/runtime-guard}/tools/kubeconform-<version>/bin/kubeconform
#
# If the binaries are already there it does nothing. Only needs `go` and the
# Go module proxy: `go install module/cmd/x@version` builds each tool with the
# dependency versions of its own go.mod, as its release does.
#
# Environment:
#   RUNTIME_GUARD_CACHE   cache root (default $HOME/.cache/runtime-guard)
#   HELM_VERSION          helm.sh/helm/v3 module version (default pinned below)
#   KUBECONFORM_VERSION   github.com/yannh/kubeconform module version (default pinned below)
#   GO                    go command (default: go)
#
# Usage: scripts/k8s/build-tools.sh [--print-env]
#   --print-env  only print the binary paths as shell assignments (no build)
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
GO="${GO:-go}"
CACHE_ROOT="${RUNTIME_GUARD_CACHE:-${HOME}/.cache/runtime-guard}"

HELM_DIR="${CACHE_ROOT}/tools/helm-${HELM_VERSION}"
KUBECONFORM_DIR="${CACHE_ROOT}/tools/kubeconform-${KUBECONFORM_VERSION}"
HELM="${HELM_DIR}/bin/helm"
KUBECONFORM="${KUBECONFORM_DIR}/bin/kubeconform"

log() { printf '[tools-build] %s\n' "$*" >&2; }

print_env() {
  printf 'HELM=%q\nKUBECONFORM=%q\n' "${HELM}" "${KUBECONFORM}"
}

if [[ "${1:-}" == "--print-env" ]]; then
  print_env
  exit 0
fi

have_all() { [[ -x "${HELM}" && -x "${KUBECONFORM}" ]]; }

if have_all; then
  log "already built (helm ${HELM_VERSION}, kubeconform ${KUBECONFORM_VERSION}):"
  print_env
  exit 0
fi

command -v "${GO}" >/dev/null 2>&1 || { log "'${GO}' not found; Go is required to build helm and kubeconform"; exit 1; }

mkdir -p "${CACHE_ROOT}/tools" "${CACHE_ROOT}/tmp"

# Serialise concurrent builds (e.g. two test files starting at once).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${CACHE_ROOT}/.tools-build.lock"
  log "waiting for build lock ${CACHE_ROOT}/.tools-build.lock"
  flock 9
  if have_all; then
    log "built by a concurrent run:"
    print_env
    exit 0
  fi
fi

# Temp dir inside the cache so the final `mv` is a same-filesystem rename.
WORK="$(mktemp -d "${CACHE_ROOT}/tmp/tools.XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT

export CGO_ENABLED=0
export GOFLAGS="-buildvcs=false"
export GOWORK=off
unset GOOS GOARCH GOBIN || true

START_ALL=$(date +%s)
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_helm() {
  if [[ -x "${HELM}" ]]; then
    log "helm ${HELM_VERSION} already present"
    return
  fi
  local t0 gomod client_go minor
  t0=$(date +%s)
  log "building helm ${HELM_VERSION} (helm.sh/helm/v3/cmd/helm)"
  # As helm's Makefile: the Kubernetes version helm assumes without a cluster
  # (.Capabilities.KubeVersion, lint deprecation checks) follows its client-go.
  gomod="$("${GO}" mod download -json "helm.sh/helm/v3@${HELM_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "${gomod}" ]] || { log "could not download helm.sh/helm/v3@${HELM_VERSION} go.mod"; exit 1; }
  client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "${gomod}")"
  minor="$(cut -d. -f2 <<<"${client_go}")"
  [[ "${minor}" =~ ^[0-9]+$ ]] || { log "cannot read the k8s.io/client-go version from ${gomod}"; exit 1; }
  local ldflags="-s -w"
  ldflags+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
  ldflags+=" -X helm.sh/helm/v3/internal/version.metadata="
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=archive"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=${minor}"
  done
  mkdir -p "${WORK}/helm-bin"
  GOBIN="${WORK}/helm-bin" "${GO}" install -trimpath -ldflags="${ldflags}" \
    "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
  "${WORK}/helm-bin/helm" version --short >&2
  install_dir "${WORK}/helm-bin" "${HELM_DIR}"
  log "helm built in $(elapsed "${t0}") (assumes Kubernetes v1.${minor} without a cluster)"
}

build_kubeconform() {
  if [[ -x "${KUBECONFORM}" ]]; then
    log "kubeconform ${KUBECONFORM_VERSION} already present"
    return
  fi
  local t0
  t0=$(date +%s)
  log "building kubeconform ${KUBECONFORM_VERSION} (github.com/yannh/kubeconform/cmd/kubeconform)"
  mkdir -p "${WORK}/kubeconform-bin"
  GOBIN="${WORK}/kubeconform-bin" "${GO}" install -trimpath \
    -ldflags="-s -w -X main.version=${KUBECONFORM_VERSION}" \
    "github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}"
  "${WORK}/kubeconform-bin/kubeconform" -v >&2
  install_dir "${WORK}/kubeconform-bin" "${KUBECONFORM_DIR}"
  log "kubeconform built in $(elapsed "${t0}")"
}

build_helm
build_kubeconform

log "done in $(elapsed "${START_ALL}"):"
print_env
