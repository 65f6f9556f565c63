#!/usr/bin/env bash
# Seconds from starting `kindling serve` (from dist/) on an existing state dir to its first answer
# on GET /v3 (200), median of N runs. The state dir is made once: a first start, one volume
# created, stopped.
# Usage: bench/start-time.sh [runs]   (KINDLING_ROOT=<dir> runs another checkout's dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${KINDLING_ROOT:-$PWD}
runs=${1:-5}
[ -f "$root/dist/cmd/kindling.js" ] || (cd "$root" && npm run build >/dev/null)
dir=$(mktemp -d /tmp/kindling-start-XXXX)
port=${KINDLING_BENCH_PORT:-28777}
cat > "$dir/kindling.conf" <<CONF
[DEFAULT]
state_path = $dir
osapi_volume_listen_port = $port
enabled_backends = alpha
[alpha]
volume_driver = file
file_volume_dir = $dir/volumes/alpha
CONF
if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
  echo "something already answers on port $port (KINDLING_BENCH_PORT)" >&2
  exit 1
fi
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
start() {
  local t0 t1
  t0=$(date +%s.%N)
  node "$root/dist/cmd/kindling.js" serve --config-file "$dir/kindling.conf" >>"$dir/serve.log" 2>&1 &
  pid=$!
  echo "$pid" > "$dir/pid"
  until curl -sf -o /dev/null -H 'X-Auth-Token: admin:admin' "http://127.0.0.1:$port/v3"; do sleep 0.01; done
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
start >/dev/null
pid=$(cat "$dir/pid")
curl -sf -o /dev/null -H 'X-Auth-Token: admin:admin' -H 'Content-Type: application/json' \
  -d '{"volume": {"size": 1}}' "http://127.0.0.1:$port/v3/admin/volumes"
sleep 1
stop() {
  kill "$pid" 2>/dev/null || true
  # NOTE: not always our child (started in a command substitution): wait until it is gone.
  while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
  pid=
}
stop
times=()
for _ in $(seq 1 "$runs"); do
  times+=("$(start)")
  pid=$(cat "$dir/pid")
  stop
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "start to first answer (s): median %.2f, min %.2f, max %.2f over %d runs\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
