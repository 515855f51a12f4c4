#!/bin/sh
# Installs Debian's chromium, the real browser the scan's HTML report test opens headless
# (test/e2e/scan.test.ts: --dump-dom and --screenshot, no npm browser download). Idempotent:
# does nothing when it is installed. Needs root (or sudo) and apt; elsewhere it says what to install.
set -e
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "runtime-guard: no apt-get here; install chromium (the scan's HTML test needs it)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "runtime-guard: installing chromium" >&2
# An image whose package lists were cleaned needs them fetched first.
if ! apt-cache show chromium >/dev/null 2>&1; then
  $sudo apt-get update -qq >&2
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
