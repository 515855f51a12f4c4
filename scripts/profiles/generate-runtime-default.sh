#!/usr/bin/env bash
# Generates src/profiles/runtime-default.json: containerd's RuntimeDefault seccomp profile (what
# Kubernetes' `seccompProfile: RuntimeDefault` means on containerd nodes), computed by
# containerd's own code from its Go module, for this machine's architecture and containerd's
# default capabilities. `runtime-guard profile diff` compares profiles with it.
#
# Needs go and the Go module proxy. Usage: scripts/profiles/generate-runtime-default.sh
# Environment: CONTAINERD_VERSION (default pinned below), GO (default: go).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
version="${CONTAINERD_VERSION:-v2.4.2}"
go="${GO:-go}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cp "${here}/runtime-default/main.go" "${work}/main.go"
cd "${work}"
"${go}" mod init runtime-guard.io/runtime-default >/dev/null 2>&1
GOFLAGS=-mod=mod "${go}" get "github.com/containerd/containerd/v2@${version}" >/dev/null 2>&1
"${go}" mod tidy >/dev/null 2>&1
"${go}" run . >"${repo}/src/profiles/runtime-default.json"
echo "generate-runtime-default: containerd ${version} ($(uname -m)) → src/profiles/runtime-default.json" >&2
