#!/usr/bin/env bash
# Starts a distributed Kindling from dist/ (api + scheduler + two volume processes, RabbitMQ and a
# fresh PostgreSQL database on this machine), runs the create benchmark against it, and stops it.
# Usage: bench/run-distributed.sh [bench args…]   (e.g. --total 800 --concurrency 32)
# KINDLING_BACKENDS=alpha (default alpha,beta): one volume process per backend;
# KINDLING_APIS=2 (default 1): API processes on consecutive ports, the bench sending to each in turn;
# KINDLING_ROOT=<dir> runs another checkout's dist/ (a before/after comparison).
# KINDLING_BENCH_POOL=<n> sets [database] max_pool_size of every process (default 5, oslo.db's).
# KINDLING_NODE_ARGS are node's, for every Kindling process (e.g. --cpu-prof --cpu-prof-dir=DIR).
# KINDLING_BENCH_PREFILL=<n> writes n volumes of the bench's project onto the first backend's pool
# before the services start (bench/prefill-volumes.ts): a service that already holds many volumes.
# Each create phase reports the CPU per create of every process (--cpu-of; bench/lib/process-cpu.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${KINDLING_ROOT:-$PWD}
backends=${KINDLING_BACKENDS:-alpha,beta}
apis=${KINDLING_APIS:-1}
[ -f "$root/dist/cmd/kindling.js" ] || (cd "$root" && npm run build >/dev/null)
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
enabled_backends = $backends
quota_volumes = -1
quota_gigabytes = -1
[database]
connection = postgresql://postgres@127.0.0.1:5432/$db
max_pool_size = ${KINDLING_BENCH_POOL:-5}
CONF
for b in ${backends//,/ }; do
  printf '[%s]\nvolume_driver = file\nfile_volume_dir = %s\n' "$b" "$dir/volumes/$b" >> "$dir/kindling.conf"
  # Room on the pool for prefilled volumes: its capacity is the real filesystem's.
  if [ -n "${KINDLING_BENCH_PREFILL:-}" ]; then printf 'max_over_subscription_ratio = 100000\n' >> "$dir/kindling.conf"; fi
done
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
k="$root/dist/cmd/kindling.js"
node "$k" manage --config-file "$dir/kindling.conf" db sync >/dev/null
if [ -n "${KINDLING_BENCH_PREFILL:-}" ]; then
  npx tsx bench/prefill-volumes.ts --connection "postgresql://postgres@127.0.0.1:5432/$db" \
    --count "$KINDLING_BENCH_PREFILL" --project admin --host "$(hostname)@${backends%%,*}#${backends%%,*}"
fi
node ${KINDLING_NODE_ARGS:-} "$k" scheduler --config-file "$dir/kindling.conf" >"$dir/scheduler.log" 2>&1 & pids+=($!)
sleep 1
cpu_of="scheduler=$!"
for b in ${backends//,/ }; do
  node ${KINDLING_NODE_ARGS:-} "$k" volume --backend "$b" --config-file "$dir/kindling.conf" >"$dir/$b.log" 2>&1 & pids+=($!)
  cpu_of+=",volume-$b=$!"
done
urls=()
for i in $(seq 0 $((apis - 1))); do
  p=$((port + i))
  KINDLING__DEFAULT__osapi_volume_listen_port=$p node ${KINDLING_NODE_ARGS:-} "$k" api --config-file "$dir/kindling.conf" >"$dir/api$i.log" 2>&1 & pids+=($!)
  cpu_of="api$i=$!,$cpu_of"
  urls+=("http://127.0.0.1:$p")
done
for u in "${urls[@]}"; do
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$u/" -w '' 2>/dev/null && break || sleep 0.2; done
done
sleep 2
echo "distributed: $apis api, scheduler, volume per backend ($backends); $(uptime)" >&2
# Per create, the CPU of each Kindling process, of PostgreSQL's processes and of RabbitMQ's.
cpu_of+=",postgresql=@postgres,rabbitmq=@rabbitmq"
npx tsx bench/create-volumes.ts --url "$(IFS=,; echo "${urls[*]}")" --keep-quota --cpu-of "$cpu_of" "$@"
