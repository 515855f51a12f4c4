#!/bin/sh
# Installs the Debian packages the seccomp profile tests use: strace (to trace programs), runc and
# crun (real OCI runtimes that load the generated profiles), busybox-static (the container that
# scripts/profiles/trace-runtimes.sh starts), seccomp (libseccomp's scmp_sys_resolver) and
# linux-libc-dev (older kernel headers): two independent checks of our syscall tables.
# Idempotent: installs only what is missing. Needs apt and root (or sudo); without apt it names
# the packages and fails.
set -e
packages="strace runc crun busybox-static seccomp linux-libc-dev"
missing=""
for package in $packages; do
  if ! dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $package"
  fi
done
if [ -z "$missing" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "runtime-guard: no apt-get here; install:$missing" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "runtime-guard: installing:$missing" >&2
# An image whose package lists were cleaned needs them fetched first.
if ! apt-cache show $missing >/dev/null 2>&1; then
  $sudo apt-get update -qq >&2
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
