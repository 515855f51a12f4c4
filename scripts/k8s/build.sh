#!/usr/bin/env bash
# Builds kube-apiserver, kubectl and etcd from their Go modules into a cache
# outside the repository, keyed by version:
#
#   ${RUNTIME_GUARD_CACHE:-$HOME/.cache/runtime-guard}/k8s/<k8s-version>/bin/{kube-apiserver,kubectl,kube-controller-manager}
#   ${RUNTIME_GUARD_CACHE:-$HOME/.cache/runtime-guard}/etcd/<etcd-version>/bin/etcd
#
# If the binaries are already there it does nothing; a binary added later (as
# kube-controller-manager was) is built alone, beside the cached ones. Only
# needs `go` and access to the Go module proxy; no Docker, no git clone of
# kubernetes.
#
# Environment:
#   RUNTIME_GUARD_CACHE   cache root (default $HOME/.cache/runtime-guard)
#   K8S_VERSION           k8s.io/kubernetes module version (default pinned below)
#   ETCD_VERSION          go.etcd.io/etcd/server/v3 module version (default pinned below)
#   GO                    go command (default: go)
#
# Usage: scripts/k8s/build.sh [--print-env]
#   --print-env  only print the binary paths as shell assignments (no build)
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
GO="${GO:-go}"
CACHE_ROOT="${RUNTIME_GUARD_CACHE:-${HOME}/.cache/runtime-guard}"

K8S_DIR="${CACHE_ROOT}/k8s/${K8S_VERSION}"
ETCD_DIR="${CACHE_ROOT}/etcd/${ETCD_VERSION}"
KUBE_APISERVER="${K8S_DIR}/bin/kube-apiserver"
KUBECTL="${K8S_DIR}/bin/kubectl"
KUBE_CONTROLLER_MANAGER="${K8S_DIR}/bin/kube-controller-manager"
ETCD="${ETCD_DIR}/bin/etcd"

log() { printf '[k8s-build] %s\n' "$*" >&2; }

print_env() {
  printf 'KUBE_APISERVER=%q\nKUBECTL=%q\nETCD=%q\n' "${KUBE_APISERVER}" "${KUBECTL}" "${ETCD}"
  printf 'KUBE_CONTROLLER_MANAGER=%q\n' "${KUBE_CONTROLLER_MANAGER}"
}

if [[ "${1:-}" == "--print-env" ]]; then
  print_env
  exit 0
fi

have_all() { [[ -x "${KUBE_APISERVER}" && -x "${KUBECTL}" && -x "${KUBE_CONTROLLER_MANAGER}" && -x "${ETCD}" ]]; }

if have_all; then
  log "already built (${K8S_VERSION}, etcd ${ETCD_VERSION}):"
  print_env
  exit 0
fi

command -v "${GO}" >/dev/null 2>&1 || { log "'${GO}' not found; Go is required to build the control plane"; exit 1; }

mkdir -p "${CACHE_ROOT}/k8s" "${CACHE_ROOT}/etcd" "${CACHE_ROOT}/tmp"

# Serialise concurrent builds (e.g. two test runs starting at once).
if command -v flock >/dev/null 2>&1; then
  exec 9>"${CACHE_ROOT}/.build.lock"
  log "waiting for build lock ${CACHE_ROOT}/.build.lock"
  flock 9
  if have_all; then
    log "built by a concurrent run:"
    print_env
    exit 0
  fi
fi

# Temp dir inside the cache so the final `mv` is a same-filesystem rename.
WORK="$(mktemp -d "${CACHE_ROOT}/tmp/build.XXXXXX")"
cleanup() { rm -rf "${WORK}"; }
trap cleanup EXIT

export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
export GOWORK=off
unset GOOS GOARCH || true

START_ALL=$(date +%s)
# shellcheck source=scripts/k8s/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_etcd() {
  if [[ -x "${ETCD}" ]]; then
    log "etcd ${ETCD_VERSION} already present"
    return
  fi
  local t0 mod="${WORK}/etcd-mod"
  t0=$(date +%s)
  log "building etcd ${ETCD_VERSION} (go.etcd.io/etcd/server/v3)"
  mkdir -p "${mod}" "${WORK}/etcd-bin"
  (
    cd "${mod}"
    cat >go.mod <<EOF
module runtime-guard.local/etcd-build

go 1.24

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
EOF
    # Resolve the full build list for the main package (writes go.sum).
    "${GO}" get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    # In etcd v3.6 the server module root is `package main` (server/main.go
    # calls etcdmain.Main).
    "${GO}" build -trimpath \
      -ldflags="-s -w" \
      -o "${WORK}/etcd-bin/etcd" go.etcd.io/etcd/server/v3
  )
  "${WORK}/etcd-bin/etcd" --version >&2
  install_dir "${WORK}/etcd-bin" "${ETCD_DIR}"
  log "etcd built in $(elapsed "${t0}")"
}

build_k8s() {
  # Only the commands whose binary is missing: the others stay as cached.
  local cmds=() name
  for name in kube-apiserver kubectl kube-controller-manager; do
    [[ -x "${K8S_DIR}/bin/${name}" ]] || cmds+=("${name}")
  done
  if [[ ${#cmds[@]} -eq 0 ]]; then
    log "kubernetes ${K8S_VERSION} already present"
    return
  fi
  local t0 mod="${WORK}/k8s-mod"
  t0=$(date +%s)
  log "building ${cmds[*]} ${K8S_VERSION} (k8s.io/kubernetes)"
  mkdir -p "${mod}" "${WORK}/k8s-bin"

  # k8s.io/kubernetes requires its staging modules (k8s.io/api, ...) at
  # v0.0.0 and replaces them with ./staging/src/... paths, which do not apply
  # outside its own repository. Map each of them to the published v0.N.P
  # release matching v1.N.P.
  local staging_version="v0.${K8S_VERSION#v1.}"
  local k8s_gomod
  k8s_gomod="$("${GO}" mod download -json "k8s.io/kubernetes@${K8S_VERSION}" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "${k8s_gomod}" ]] || { log "could not download k8s.io/kubernetes@${K8S_VERSION} go.mod"; exit 1; }

  local staging
  staging="$(awk '
    /^require[[:space:]]*\(/ { inreq = 1; next }
    inreq && /^\)/ { inreq = 0; next }
    inreq && $1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }
    /^require[[:space:]]+k8s\.io\/[^[:space:]]+[[:space:]]+v0\.0\.0/ { print $2 }
  ' "${k8s_gomod}" | sort -u)"
  [[ -n "${staging}" ]] || { log "no k8s.io/* v0.0.0 requirements found in ${k8s_gomod}"; exit 1; }

  local go_directive
  go_directive="$(awk '$1 == "go" { print $2; exit }' "${k8s_gomod}")"

  {
    echo "module runtime-guard.local/k8s-build"
    echo
    echo "go ${go_directive:-1.25}"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    local m
    for m in ${staging}; do
      printf '\t%s => %s %s\n' "${m}" "${m}" "${staging_version}"
    done
    echo ")"
  } >"${mod}/go.mod"
  log "generated build module with $(wc -w <<<"${staging}") staging replaces -> ${staging_version}"

  # Same -X flags as hack/lib/version.sh, so `--version` / `kubectl version`
  # report the real release.
  local ver="${K8S_VERSION}" major minor build_date
  major="${ver#v}"; major="${major%%.*}"
  minor="${ver#v*.}"; minor="${minor%%.*}"
  # Release time from the module proxy keeps the binary reproducible.
  build_date="$("${GO}" list -m -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "k8s.io/kubernetes@${K8S_VERSION}" 2>/dev/null || true)"
  [[ -n "${build_date}" ]] || build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ldflags="-s -w" pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X '${pkg}.gitVersion=${ver}'"
    ldflags+=" -X '${pkg}.gitMajor=${major}'"
    ldflags+=" -X '${pkg}.gitMinor=${minor}'"
    ldflags+=" -X '${pkg}.gitTreeState=archive'"
    ldflags+=" -X '${pkg}.buildDate=${build_date}'"
  done

  (
    cd "${mod}"
    local t1
    t1=$(date +%s)
    local pkgs=() cmd
    for cmd in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/${cmd}"); done
    "${GO}" get "${pkgs[@]/%/@${K8S_VERSION}}"
    log "module resolution/download took $(elapsed "${t1}")"
    t1=$(date +%s)
    # Tags as in hack/lib/golang.sh for non-debug builds.
    "${GO}" build -trimpath -tags=selinux,notest,grpcnotrace \
      -ldflags="${ldflags}" \
      -o "${WORK}/k8s-bin/" "${pkgs[@]}"
    log "compile took $(elapsed "${t1}")"
  )
  for cmd in "${cmds[@]}"; do
    if [[ "${cmd}" == kubectl ]]; then
      "${WORK}/k8s-bin/kubectl" version --client >&2
    else
      "${WORK}/k8s-bin/${cmd}" --version >&2
    fi
  done
  # The cached binaries join the new ones (hard links, same filesystem), so the
  # whole bin/ is still replaced by one rename.
  for name in kube-apiserver kubectl kube-controller-manager; do
    if [[ ! -e "${WORK}/k8s-bin/${name}" && -x "${K8S_DIR}/bin/${name}" ]]; then
      ln "${K8S_DIR}/bin/${name}" "${WORK}/k8s-bin/${name}" 2>/dev/null ||
        cp -p "${K8S_DIR}/bin/${name}" "${WORK}/k8s-bin/${name}"
    fi
  done
  install_dir "${WORK}/k8s-bin" "${K8S_DIR}"
  log "kubernetes built in $(elapsed "${t0}")"
}

build_etcd
build_k8s

log "done in $(elapsed "${START_ALL}"):"
print_env
