#!/usr/bin/env bash
# Starts an embedded Kindling (`kindling serve`: SQLite, synchronous=FULL unless
# KINDLING_SQLITE_SYNC says otherwise) from dist/ on a fresh state dir, runs the create benchmark
# against it (with the server's pid, so its RSS is sampled), and stops it.
# Usage: bench/run-embedded.sh [bench args…]   (e.g. --total 600 --concurrency 32)
# KINDLING_ROOT=<dir> runs the server from another checkout's dist/ (a before/after comparison).
# KINDLING_BENCH_CONFIG=<file> is given to the server as one more --config-file (e.g. keystone
# mode: bench/run-keystone.sh); KINDLING_NODE_ARGS are node's (e.g. --cpu-prof); KINDLING_BENCH=<ts
# file> runs that benchmark instead of bench/create-volumes.ts (given --url and the arguments).
# KINDLING_BENCH_PIN=<server cpus>:<bench cpus> (e.g. 0:1) pins the server and the benchmark to
# those CPUs with taskset: on a shared 2-core VM the figures then vary far less from run to run.
# KINDLING_BENCH_PREFILL=<n> writes n volumes of the bench's project onto its pool before the server
# starts (bench/prefill-volumes.ts): a service that already holds many volumes.
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
server_pin=()
bench_pin=()
if [ -n "${KINDLING_BENCH_PIN:-}" ]; then
  server_pin=(taskset -c "${KINDLING_BENCH_PIN%%:*}")
  bench_pin=(taskset -c "${KINDLING_BENCH_PIN##*:}")
fi
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
extra=()
[ -n "${KINDLING_BENCH_CONFIG:-}" ] && extra=(--config-file "$KINDLING_BENCH_CONFIG")
if [ -n "${KINDLING_BENCH_PREFILL:-}" ]; then
  # Room on the pool for them: its capacity is the real filesystem's.
  printf 'max_over_subscription_ratio = 100000\n' >> "$dir/kindling.conf"
  node "$root/dist/cmd/kindling.js" manage --config-file "$dir/kindling.conf" db sync >/dev/null
  npx tsx bench/prefill-volumes.ts --connection "sqlite:///$dir/kindling.sqlite" \
    --count "$KINDLING_BENCH_PREFILL" --project admin --host "$(hostname)@alpha#alpha"
fi
${server_pin[@]+"${server_pin[@]}"} node ${KINDLING_NODE_ARGS:-} "$root/dist/cmd/kindling.js" serve --config-file "$dir/kindling.conf" "${extra[@]}" >"$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break || sleep 0.1; done
sleep 1
if [ -n "${KINDLING_BENCH:-}" ]; then
  ${bench_pin[@]+"${bench_pin[@]}"} npx tsx "$KINDLING_BENCH" --url "http://127.0.0.1:$port" "$@"
else
  ${bench_pin[@]+"${bench_pin[@]}"} npx tsx bench/create-volumes.ts --url "http://127.0.0.1:$port" --keep-quota --server-pid "$pid" "$@"
fi
