#!/usr/bin/env bash
# Traces the container runtimes installed here (runc, crun) starting a container, with and
# without no-new-privileges, and keeps the traces (gzipped) as the evidence from which
# scripts/profiles/derive-runtime-calls.ts derives the calls each runtime makes under the
# container's seccomp filter (src/profiles/runtime-calls.json).
#
# The container: a static busybox running `true`, under a profile that allows every syscall of
# the x86_64 table with SCMP_ACT_ERRNO as default action (the shape of the profiles we
# generate), so nothing is refused while tracing; as root with containerd's default
# capabilities, and as user 1000 with none (what a `restricted` pod gets). Each configuration
# runs RUNS times (default 6): runc is a Go program whose runtime makes calls (futex,
# rt_sigreturn after a preemption signal) at times that vary from run to run, and the derived
# list is the union.
#
# No path of the recording machine in the kept traces: the runtimes run with a clean
# environment, the temporary bundle's path is replaced by /bundle and the /tmp of crun's
# scratch copy of itself by /TMP; nothing else is edited.
#
# Needs root, strace, runc, crun, busybox-static (scripts/profiles/install-tools.sh).
# Usage: scripts/profiles/trace-runtimes.sh [OUT_DIR]   (default test/profiles/testdata/runtime)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
out="${1:-${repo}/test/profiles/testdata/runtime}"
runs="${RUNS:-6}"
node="${repo}/node_modules/.bin/node"
mkdir -p "${out}"
out="$(cd "${out}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

bundle="${work}/bundle"
mkdir -p "${bundle}/rootfs/bin" "${work}/state"
cp "$(command -v busybox)" "${bundle}/rootfs/bin/busybox"

# config.json: runc's own template, with our process and profile.
write_config() {
  local nnp="$1" uid="$2"
  (cd "${bundle}" && rm -f config.json && runc spec)
  "${node}" -e '
    const fs = require("node:fs");
    const [configPath, tablePath, nnp, uid] = process.argv.slice(1);
    const config = JSON.parse(fs.readFileSync(configPath, "utf8"));
    const table = JSON.parse(fs.readFileSync(tablePath, "utf8"));
    config.process.terminal = false;
    config.process.args = ["/bin/busybox", "true"];
    config.process.noNewPrivileges = nnp === "true";
    // containerd'"'"'s default capabilities for root; none for the unprivileged user.
    const caps = uid === "0"
      ? ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
         "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"].map((c) => `CAP_${c}`)
      : [];
    config.process.user = { uid: Number(uid), gid: Number(uid) };
    config.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
    config.root.readonly = true;
    config.linux.seccomp = {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 1,
      architectures: ["SCMP_ARCH_X86_64"],
      syscalls: [{ names: Object.keys(table.syscalls).sort(), action: "SCMP_ACT_ALLOW" }],
    };
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
  ' "${bundle}/config.json" "${repo}/src/profiles/syscalls/x86_64.json" "${nnp}" "${uid}"
}

# crun refuses hybrid cgroup hierarchies (v1 controllers beside a v2 mount); in a private
# mount namespace with a pure cgroup2 mount and no cgroup manager it runs the same way.
crun_needs_private_cgroup() { [[ -d /sys/fs/cgroup/unified ]]; }

trace_one() {
  local runtime="$1" nnp="$2" uid="$3" run="$4"
  local name="${runtime}-nnp-${nnp}-uid${uid}-${run}.txt" id="rg-trace-$$-${run}"
  # A clean environment: runc looks programs up along PATH, which would name this machine's.
  local strace=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin strace -f -n --pidns-translation -o "${work}/${name}")
  case "${runtime}" in
    runc) (cd "${bundle}" && "${strace[@]}" runc --root "${work}/state" run "${id}") ;;
    crun)
      if crun_needs_private_cgroup; then
        (cd "${bundle}" && unshare -m sh -c 'mount -t cgroup2 none /sys/fs/cgroup && exec "$@"' sh \
          "${strace[@]}" crun --cgroup-manager=disabled --root "${work}/state" run "${id}")
      else
        (cd "${bundle}" && "${strace[@]}" crun --root "${work}/state" run "${id}")
      fi
      ;;
  esac
  sed -e "s|${work}|/bundle|g" -e 's|"/tmp/crun\.|"/TMP/crun.|g' "${work}/${name}" | gzip -9n >"${out}/${name}.gz"
}

for nnp in false true; do
  for uid in 0 1000; do
    write_config "${nnp}" "${uid}"
    for runtime in runc crun; do
      for run in $(seq 1 "${runs}"); do trace_one "${runtime}" "${nnp}" "${uid}" "${run}"; done
    done
  done
done
{
  echo "runc $(dpkg-query -W -f '${Version}' runc)"
  echo "crun $(dpkg-query -W -f '${Version}' crun)"
  echo "strace $(dpkg-query -W -f '${Version}' strace)"
  echo "kernel $(uname -r)"
} >"${out}/versions.txt"
echo "trace-runtimes: ${runs} runs each of runc and crun, nnp on and off, uid 0 and 1000, in ${out}" >&2
