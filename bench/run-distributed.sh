#!/usr/bin/env bash
# Starts a distributed Kindling from dist/ (api + scheduler + two volume processes, RabbitMQ and a
# fresh PostgreSQL database on this machine), runs the create benchmark against it, and stops it.
# Usage: bench/run-distributed.sh [bench args…]   (e.g. --total 800 --concurrency 32)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cmd/kindling.js ] || npm run build >/dev/null
dir=$(mktemp -d /tmp/kindling-dist-XXXX)
db="kindling_bench_$$"
port=${KINDLING_BENCH_PORT:-28780}
psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $db" postgres
cat > "$dir/kindling.conf" <<CONF
[DEFAULT]
state_path = $dir
osapi_volume_listen_port = $port
transport_url = rabbit://guest:guest@127.0.0.1:5672/
control_exchange = kindling_bench_$$
enabled_backends = alpha,beta
quota_volumes = -1
quota_gigabytes = -1
[database]
connection = postgresql://postgres@127.0.0.1:5432/$db
[alpha]
volume_driver = file
file_volume_dir = $dir/volumes/alpha
[beta]
volume_driver = file
file_volume_dir = $dir/volumes/beta
CONF
pids=()
cleanup() {
  psql -h 127.0.0.1 -U postgres -q -At -c "SELECT status, deleted, count(*) FROM volumes GROUP BY 1, 2" "$db" >&2 || true
  [ -n "${KINDLING_BENCH_LOGS:-}" ] && grep -h -E '"level":(40|50)' "$dir"/*.log | cut -c1-400 | sort | uniq -c | sort -rn | head -20 >&2
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $db" postgres || true
  rm -rf "$dir"
}
trap cleanup EXIT
node dist/cmd/kindling.js manage --config-file "$dir/kindling.conf" db sync >/dev/null
node dist/cmd/kindling.js scheduler --config-file "$dir/kindling.conf" >"$dir/scheduler.log" 2>&1 & pids+=($!)
sleep 1
node dist/cmd/kindling.js volume --backend alpha --config-file "$dir/kindling.conf" >"$dir/alpha.log" 2>&1 & pids+=($!)
node dist/cmd/kindling.js volume --backend beta --config-file "$dir/kindling.conf" >"$dir/beta.log" 2>&1 & pids+=($!)
node dist/cmd/kindling.js api --config-file "$dir/kindling.conf" >"$dir/api.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" -w '' 2>/dev/null && break || sleep 0.2; done
sleep 2
npx tsx bench/create-volumes.ts --url "http://127.0.0.1:$port" --keep-quota "$@"
