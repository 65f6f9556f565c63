#!/usr/bin/env bash
# Starts an embedded Kindling (`kindling serve`: SQLite, synchronous=FULL unless
# KINDLING_SQLITE_SYNC says otherwise) from dist/ on a fresh state dir, runs the create benchmark
# against it (with the server's pid, so its RSS is sampled), and stops it.
# Usage: bench/run-embedded.sh [bench args…]   (e.g. --total 600 --concurrency 32)
# KINDLING_ROOT=<dir> runs the server from another checkout's dist/ (a before/after comparison).
# KINDLING_BENCH_CONFIG=<file> is given to the server as one more --config-file (e.g. keystone
# mode: bench/run-keystone.sh); KINDLING_NODE_ARGS are node's (e.g. --cpu-prof); KINDLING_BENCH=<ts
# file> runs that benchmark instead of bench/create-volumes.ts (given --url and the arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${KINDLING_ROOT:-$PWD}
[ -f "$root/dist/cmd/kindling.js" ] || (cd "$root" && npm run build >/dev/null)
dir=$(mktemp -d /tmp/kindling-emb-XXXX)
port=${KINDLING_BENCH_PORT:-28776}
cat > "$dir/kindling.conf" <<CONF
[DEFAULT]
state_path = $dir
osapi_volume_listen_port = $port
enabled_backends = alpha
quota_volumes = -1
quota_gigabytes = -1
[alpha]
volume_driver = file
file_volume_dir = $dir/volumes/alpha
CONF
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
extra=()
[ -n "${KINDLING_BENCH_CONFIG:-}" ] && extra=(--config-file "$KINDLING_BENCH_CONFIG")
node ${KINDLING_NODE_ARGS:-} "$root/dist/cmd/kindling.js" serve --config-file "$dir/kindling.conf" "${extra[@]}" >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break || sleep 0.1; done
sleep 1
if [ -n "${KINDLING_BENCH:-}" ]; then
  npx tsx "$KINDLING_BENCH" --url "http://127.0.0.1:$port" "$@"
else
  npx tsx bench/create-volumes.ts --url "http://127.0.0.1:$port" --keep-quota --server-pid "$pid" "$@"
fi
