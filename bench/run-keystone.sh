#!/usr/bin/env bash
# The embedded create benchmark in keystone mode: brings up the Keystone of scripts/keystone-up.sh
# (installs Debian's keystone the first time) and runs bench/run-embedded.sh with Kindling
# switched to keystone mode (kindling-keystone.conf as one more config file); the bench takes one
# token of Keystone's `admin` user scoped to project `admin` and sends it with every request.
# After the first request the token is in Kindling's cache, so the figures show what keystone
# mode costs over noauth (compare with bench/run-embedded.sh, same arguments, same sitting).
# Usage: bench/run-keystone.sh [bench args…]   (e.g. --total 600 --concurrency 32)
#        bench/run-keystone.sh --tokens [N]     (bench/keystone-tokens.ts: N new tokens at once, then
#                                               cached; default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
ks_dir=${KINDLING_KS_DIR:-/tmp/kindling-keystone}
ks_port=${KINDLING_KS_PORT:-5001}
# NOTE: no KINDLING_URL: the bench talks to Kindling directly, the catalog is left as it was.
scripts/keystone-up.sh >/dev/null
export KINDLING_BENCH_CONFIG="$ks_dir/kindling-keystone.conf"
if [ "${1:-}" = --tokens ]; then
  KINDLING_BENCH=bench/keystone-tokens.ts bench/run-embedded.sh --keystone "http://127.0.0.1:$ks_port" \
    --password "${KINDLING_KS_PASSWORD:-secret}" --tokens "${2:-64}"
else
  bench/run-embedded.sh --keystone "http://127.0.0.1:$ks_port" \
    --keystone-password "${KINDLING_KS_PASSWORD:-secret}" "$@"
fi
