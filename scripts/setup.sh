#!/bin/sh
# Installs the locked dependencies (Node.js 24 among them, as the npm package `node`) when
# node_modules is missing or older than the lock file, so `npm start` and `npm test` work on a
# fresh clone with nothing but the machine's own npm.
set -e
cd "$(dirname "$0")/.."
stamp=node_modules/.runtime-guard-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -x node_modules/.bin/node ]; then
  echo "runtime-guard: installing dependencies from package-lock.json" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch "$stamp"
fi
